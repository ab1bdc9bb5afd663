-- Least squares: fit y = intercept + slope * x to data.csv (x,y) and write the coefficients.
-- For x = 1..4, y = 2, 4, 5, 6 the fit is intercept = 1, slope = 1.3.
-- Run from this directory:  ../../build/kiln job.sql
COPY (
    SELECT regr_intercept(y, x) AS intercept,
           regr_slope(y, x)     AS slope,
           regr_r2(y, x)        AS r2,
           regr_count(y, x)     AS n
    FROM 'data.csv'
) TO 'coefficients.csv' (HEADER true);

SELECT * FROM 'coefficients.csv';
