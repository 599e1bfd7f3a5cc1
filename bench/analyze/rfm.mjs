// DuckDB reference for `guanxi analyze rfm`: the RFM contract of DESIGN.md
// written as one SQL query over a generic-format orders CSV.
//
//   node bench/analyze/rfm.mjs ORDERS.csv AS_OF OUT.csv [TIMEZONE]
//
// AS_OF is a date (YYYY-MM-DD); TIMEZONE is the shop's zone (default
// Asia/Shanghai). Writes customer_id,recency_days,frequency,monetary,r,f,m
// sorted by customer_id (byte order) and prints its own wall time on stderr.
// Assumes one row per order (as bench/gen writes): rows sharing an order_id
// are not merged into one order. See bench/README.md.
import { DuckDBInstance, version } from '@duckdb/node-api';

const t0 = process.hrtime.bigint();
const [file, asOf, out, tz = 'Asia/Shanghai'] = process.argv.slice(2);
if (!file || !/^\d{4}-\d{2}-\d{2}$/.test(asOf ?? '') || !out) {
	console.error('usage: node rfm.mjs ORDERS.csv AS_OF(YYYY-MM-DD) OUT.csv [TIMEZONE]');
	process.exit(2);
}
const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();

// ICU is built into @duckdb/node-api's binary: check it rather than let
// TIMESTAMPTZ casts fall back to UTC.
const icu = await con.runAndReadAll(
	"SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'icu'");
if (!icu.getRows().some((r) => r[0] === true)) {
	console.error('rfm.mjs: the DuckDB icu extension is not loaded; time zones would be wrong');
	process.exit(1);
}
// Times without an offset ("2025-01-02 15:04:05") are read in the session
// zone, those with one ("…T15:04:05+08:00") at their offset; ::DATE of a
// TIMESTAMPTZ is the calendar date in the session zone.
await con.run(`SET TimeZone = ${lit(tz)}`);

const sql = `
COPY (
WITH raw AS (
	SELECT * FROM read_csv(${lit(file)}, header = true, all_varchar = true)
), orders AS (
	SELECT
		trim(customer_id) AS customer_id,
		CAST(CAST(trim(order_date) AS TIMESTAMPTZ) AS DATE) AS day,
		CAST(round(CAST(trim(amount) AS DECIMAL(18, 2)) * 100) AS BIGINT) AS amount,
		CAST(round(CAST(coalesce(nullif(trim(refunded_amount), ''), '0') AS DECIMAL(18, 2)) * 100) AS BIGINT) AS refunded,
		coalesce(nullif(lower(trim(status)), ''), 'paid') AS status
	FROM raw
), purchases AS (
	SELECT customer_id, day, amount - refunded AS net
	FROM orders
	WHERE status IN ('paid', 'shipped', 'completed', 'partially_refunded')
		AND amount >= 0             -- a negative amount is a return
		AND customer_id <> ''       -- guest orders count for no customer
		AND day <= DATE ${lit(asOf)} -- later orders are ignored
), customers AS (
	SELECT customer_id,
		DATE ${lit(asOf)} - max(day) AS recency_days,
		count(*) AS frequency,
		sum(net) AS cents
	FROM purchases
	GROUP BY customer_id
), n AS (SELECT count(*) AS n FROM customers)
SELECT customer_id, recency_days, frequency,
	printf('%s%d.%02d', CASE WHEN cents < 0 THEN '-' ELSE '' END, abs(cents) // 100, abs(cents) % 100) AS monetary,
	1 + (5 * (RANK() OVER (ORDER BY recency_days DESC) - 1)) // n AS r,
	1 + (5 * (RANK() OVER (ORDER BY frequency) - 1)) // n AS f,
	1 + (5 * (RANK() OVER (ORDER BY cents) - 1)) // n AS m
FROM customers, n
ORDER BY customer_id
) TO ${lit(out)} (HEADER, DELIMITER ',')`;

const res = await con.runAndReadAll(sql);
const rows = res.getRows()[0]?.[0];
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.error(`rfm.mjs: DuckDB ${version()}, ${rows} customers, ${secs.toFixed(2)} s`);
