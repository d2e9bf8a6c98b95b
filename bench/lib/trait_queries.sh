# Sourced by bench/trait_bench.sh and bench/trait_rerun.sh: the three computed traits they time,
# as holo expressions and as the same aggregates in SQL (SQLite and ClickHouse), at the as-of
# time of the generated worlds (2026-11-01T00:00:00Z).
AS_OF_MS=1793491200000
DAY_MS=86400000
Q_ID=(a b c)
Q_TRAIT=(lux_orders_90d lux_spend_all views_30d)
Q_EXPR=('count(Order Completed where category = "luxury", 90d)'
        'sum(Order Completed.price where category = "luxury", all)'
        'count(Product Viewed, 30d)')
Q_SQL=("SELECT oneid, COUNT(DISTINCT seq) FROM events WHERE event = 'Order Completed' AND category = 'luxury' AND ts_ms > $((AS_OF_MS - 90 * DAY_MS)) AND ts_ms <= $AS_OF_MS GROUP BY oneid"
       "SELECT oneid, SUM(price) FROM events WHERE event = 'Order Completed' AND category = 'luxury' AND ts_ms <= $AS_OF_MS GROUP BY oneid"
       "SELECT oneid, COUNT(*) FROM events WHERE event = 'Product Viewed' AND ts_ms > $((AS_OF_MS - 30 * DAY_MS)) AND ts_ms <= $AS_OF_MS GROUP BY oneid")
