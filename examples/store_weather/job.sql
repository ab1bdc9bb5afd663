-- Per-store regression of daily sales on the weather, saved, then applied to tomorrow's forecast.
-- Run from this directory: ../../build/kiln job.sql

-- 1. one least-squares model per store (rows with a missing reading are skipped and counted)
COPY (
    SELECT store, linreg(sales, temperature, rain_mm) AS model
    FROM 'sales.csv'
    GROUP BY store
    ORDER BY store
) TO 'models.csv';

-- 2. what the models say: effect of one degree and one millimetre, fit quality
SELECT store,
       round(coef(model, 1), 2)    AS per_degree,
       round(coef(model, 2), 2)    AS per_mm_rain,
       round(p_value(model, 2), 4) AS p_rain,
       round(r2(model), 3)         AS r2,
       n_rows(model)               AS days,
       n_skipped(model)            AS skipped
FROM (SELECT store, model_from_json(model) AS model FROM 'models.csv')
ORDER BY store;

-- 3. a later job: load the saved models and predict tomorrow's sales per store
COPY (
    SELECT f.store, f.date, f.temperature, f.rain_mm,
           round(predict(model_from_json(m.model), f.temperature, f.rain_mm), 2) AS predicted_sales
    FROM 'forecast_weather.csv' f JOIN 'models.csv' m USING (store)
    ORDER BY f.store
) TO 'predicted_sales.csv';

SELECT * FROM 'predicted_sales.csv' ORDER BY store;
