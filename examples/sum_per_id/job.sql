-- Sum per ID: read data.csv (ID,Value), sum Value per ID, write processed_data.csv.
-- Run from this directory:  ../../build/kiln job.sql
COPY (
    SELECT ID, sum(Value) AS Sum
    FROM 'data.csv'
    GROUP BY ID
    ORDER BY ID
) TO 'processed_data.csv' (HEADER true);

SELECT * FROM 'processed_data.csv' ORDER BY ID;
