#!/usr/bin/env bash
# demo.sh — kiln's sample batch job end to end (`make demo` runs it).
#
# 1. generates a 200,000-row sales CSV (date, region, product, quantity, unit_price) with awk,
# 2. runs a batch job with build/kiln: filter, group by, aggregates and statistics, a saved
#    linreg model per product applied back to the orders, COPY to CSV,
# 3. prints the head of the outputs.
# Usage: bash examples/demo.sh [rows]        Output goes to build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS="${1:-200000}"
KILN="${KILN:-build/kiln}"
OUT=build/demo
if [ ! -x "$KILN" ]; then
  echo "demo: $KILN not found; run 'make' first" >&2
  exit 1
fi
mkdir -p "$OUT"

echo "== generating $OUT/sales.csv ($ROWS rows)"
awk -v n="$ROWS" 'BEGIN {
  srand(42)
  split("north south east west", region, " ")
  split("apple banana cherry durian elderberry fig grape", product, " ")
  split("0.50 0.25 3.00 7.50 4.20 1.10 2.40", price, " ")
  print "order_id,date,region,product,quantity,unit_price"
  for (i = 1; i <= n; i++) {
    d = int(rand() * 90)                       # 90 days from 2024-01-01
    m = d < 31 ? 1 : (d < 60 ? 2 : 3)
    day = d < 31 ? d + 1 : (d < 60 ? d - 30 : d - 59)
    p = int(rand() * 7) + 1
    q = int(rand() * 20) + 1
    up = price[p] * (0.9 + rand() * 0.2)
    if (rand() < 0.01) printf "%d,2024-%02d-%02d,%s,%s,,%.2f\n", i, m, day, region[int(rand()*4)+1], product[p], up
    else printf "%d,2024-%02d-%02d,%s,%s,%d,%.2f\n", i, m, day, region[int(rand()*4)+1], product[p], q, up
  }
}' > "$OUT/sales.csv"

cat > "$OUT/job.sql" <<SQL
-- revenue per region and product (rows with a missing quantity are skipped)
COPY (
    SELECT region, product,
           count(*)                        AS orders,
           sum(quantity)                   AS units,
           round(sum(quantity * unit_price), 2) AS revenue,
           round(avg(unit_price), 4)       AS mean_price,
           round(stddev_samp(unit_price), 4) AS sd_price,
           median(quantity)                AS median_qty
    FROM '$OUT/sales.csv'
    WHERE quantity IS NOT NULL
    GROUP BY region, product
    ORDER BY revenue DESC
) TO '$OUT/revenue_by_region_product.csv' (HEADER true);

-- daily totals
COPY (
    SELECT date, count(*) AS orders, sum(quantity) AS units,
           round(sum(quantity * unit_price), 2) AS revenue
    FROM '$OUT/sales.csv'
    GROUP BY date
    ORDER BY date
) TO '$OUT/daily_totals.csv' (HEADER true);

-- price trend per product: least-squares slope of quantity on unit price
COPY (
    SELECT product, regr_slope(quantity, unit_price) AS slope,
           regr_intercept(quantity, unit_price) AS intercept,
           corr(quantity, unit_price) AS corr
    FROM '$OUT/sales.csv'
    GROUP BY ALL
    ORDER BY product
) TO '$OUT/price_trend.csv' (HEADER true);

-- one model per product: quantity on price and day of the month (linreg), saved, then
-- applied to every order (rows with a missing quantity are skipped and counted)
COPY (
    SELECT product, linreg(quantity, unit_price, extract('day' FROM date)) AS model
    FROM '$OUT/sales.csv'
    GROUP BY product
) TO '$OUT/models.csv' (HEADER true);
COPY (
    SELECT product, round(coef(m, 1), 3) AS per_unit_price, round(coef(m, 2), 4) AS per_day,
           round(r2(m), 4) AS r2, n_rows(m) AS orders, n_skipped(m) AS skipped,
           round(avg(predict(m, s.unit_price, extract('day' FROM s.date))), 3) AS mean_predicted_quantity
    FROM '$OUT/sales.csv' s JOIN (SELECT product, model_from_json(model) AS m FROM '$OUT/models.csv') USING (product)
    GROUP BY product, m
    ORDER BY product
) TO '$OUT/product_models.csv' (HEADER true);

SELECT count(*) AS rows_read, count(quantity) AS with_quantity, min(date) AS first_day, max(date) AS last_day
FROM '$OUT/sales.csv';
SQL

echo "== running: $KILN --timer $OUT/job.sql"
"$KILN" --timer "$OUT/job.sql"

for f in revenue_by_region_product daily_totals price_trend product_models; do
  echo
  echo "== $OUT/$f.csv (first lines of $(($(wc -l < "$OUT/$f.csv") - 1)) rows)"
  head -n 6 "$OUT/$f.csv"
done
