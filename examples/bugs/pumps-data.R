# R dump format (as R's dump() and JAGS write it); arrays fill in column-major order.
"N" <-
10
"t" <-
c(94.3, 15.7, 62.9, 126.0, 5.24, 31.4, 1.05, 1.05, 2.1, 10.5)
"x" <-
c(5, 1, 5, 14, 3, 19, 1, 1, 4, 22)
