-- a small batch job: totals per region
CREATE TABLE sales (region VARCHAR, amount BIGINT);
INSERT INTO sales VALUES ('north', 10), ('south', 5), ('north', 7);
/* totals per region; the ';' in this comment does not end a statement */
SELECT region, sum(amount) AS total
FROM sales
GROUP BY region
ORDER BY region;
SELECT count(*) AS n FROM sales
