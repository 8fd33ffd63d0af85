# R dump format (as R's dump() and JAGS write it); arrays fill in column-major order.
"BATCHES" <-
6
"SAMPLES" <-
5
"y" <-
structure(c(1545, 1540, 1595, 1445, 1595, 1520, 1440, 1555, 1550, 1440, 1630, 1455, 1440, 1490, 1605, 1595, 1515, 1450, 1520, 1560, 1510, 1465, 1635, 1480, 1580, 1495, 1560, 1545, 1625, 1445), .Dim = c(6L, 5L))
