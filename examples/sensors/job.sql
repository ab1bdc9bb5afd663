-- IoT sensors: mean temperature and humidity per timestamp over all sensors
-- (a missing humidity reading is ignored by avg).
-- Run from this directory:  ../../build/kiln job.sql
COPY (
    SELECT timestamp,
           avg(temperature) AS mean_temperature,
           avg(humidity)    AS mean_humidity,
           count(*)         AS readings
    FROM 'readings.csv'
    GROUP BY timestamp
    ORDER BY timestamp
) TO 'sensor_means.csv' (HEADER true);

SELECT * FROM 'sensor_means.csv' ORDER BY timestamp;
