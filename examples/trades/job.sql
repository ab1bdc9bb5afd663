-- Trades: number of trades, total quantity, total value and mean price per trade type.
-- Run from this directory:  ../../build/kiln job.sql
COPY (
    SELECT trade_type,
           count(*)                AS trades,
           sum(quantity)           AS total_quantity,
           sum(price * quantity)   AS total_value,
           avg(price)              AS mean_price
    FROM 'trades.csv'
    GROUP BY trade_type
    ORDER BY trade_type
) TO 'trade_summary.csv' (HEADER true);

SELECT * FROM 'trade_summary.csv' ORDER BY trade_type;
