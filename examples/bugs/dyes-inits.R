# Initial values, as the BUGS example gives them.
list(theta = 1500, tau.with = 1, tau.btw = 1)
