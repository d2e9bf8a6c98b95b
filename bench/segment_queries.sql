SELECT count(*) FROM profiles WHERE city = 'Shanghai'
SELECT count(*) FROM profiles WHERE spend_90d > 5000 AND city IN ('Shanghai', 'Hangzhou')
SELECT count(*) FROM profiles WHERE spend_90d > 5000 AND city IN ('Shanghai', 'Hangzhou') AND age BETWEEN 25 AND 39
SELECT count(*) FROM profiles WHERE spend_90d > 5000 AND city IN ('Shanghai', 'Hangzhou') AND lux_orders_180d >= 2 AND consent_marketing = 1 AND household_size >= 3
SELECT count(*) FROM profiles WHERE (spend_90d > 5000 OR order_count >= 20) AND city_tier <= 2 AND ('|' || top_brands || '|') LIKE '%|Gucci|%' AND commute_mode <> 'car' AND household_size >= 3 AND consent_marketing = 1 AND age BETWEEN 25 AND 44
