-- Operating modes of machines: k-means (k = 3) on sensor readings, one model per device type,
-- then every reading labelled with its mode. Run from this directory: ../../build/kiln job.sql

CREATE TABLE modes AS
    SELECT device_type, kmeans(3, temperature, vibration, current, seed := 1) AS model
    FROM 'readings.csv'
    GROUP BY device_type;

-- 1. the clusters: centroid and size of each mode (cluster numbers are kmeans' 0-based labels)
SELECT device_type, c AS cluster,
       round(centroid(model, c, 1), 1) AS temperature,
       round(centroid(model, c, 2), 2) AS vibration,
       round(centroid(model, c, 3), 2) AS current,
       cluster_size(model, c) AS readings,
       round(inertia(model), 1) AS inertia
FROM modes, (VALUES (0), (1), (2)) k(c)
ORDER BY device_type, temperature;

-- 2. each reading labelled with its mode; per device, how many readings fell in each
COPY (
    SELECT r.device_id, predict(m.model, r.temperature, r.vibration, r.current) AS cluster, count(*) AS readings
    FROM 'readings.csv' r JOIN modes m USING (device_type)
    GROUP BY ALL
    ORDER BY r.device_id, cluster
) TO 'modes_per_device.csv';
SELECT * FROM 'modes_per_device.csv' LIMIT 9;
