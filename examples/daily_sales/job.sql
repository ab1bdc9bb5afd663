-- Daily sales: mean, total and count of sales per date, written to daily_summary.csv.
-- Run from this directory:  ../../build/kiln job.sql
COPY (
    SELECT date,
           avg(amount) AS mean_sales,
           sum(amount) AS total_sales,
           count(*)    AS n_sales
    FROM 'sales.csv'
    GROUP BY date
    ORDER BY date
) TO 'daily_summary.csv' (HEADER true);

SELECT * FROM 'daily_summary.csv' ORDER BY date;
