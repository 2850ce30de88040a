# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# sqlite3.sh - the sqlite3 shell on a generated workload: tables filled by recursive CTEs,
# indexes, joins, aggregates, window functions, JSON, a transaction rolled back, VACUUM.
pkgs_sqlite3() { echo sqlite3; }
case_sqlite3() {
	cat >workload.sql <<'SQL'
PRAGMA journal_mode = WAL;
CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT, city TEXT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, amount REAL, note TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO customer SELECT i, 'name' || i, 'city' || (i % 37) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
INSERT INTO orders SELECT i, 1 + (i * 7919) % 2000, (i % 1000) / 10.0, printf('note %08d', i) FROM n;
CREATE INDEX orders_customer ON orders(customer);
SELECT count(*), round(sum(amount), 2) FROM orders;
SELECT c.city, count(*), round(avg(o.amount), 3) FROM customer c JOIN orders o ON o.customer = c.id
  GROUP BY c.city ORDER BY 2 DESC, 1 LIMIT 5;
SELECT id, amount, rank() OVER (ORDER BY amount DESC, id) FROM orders WHERE customer = 42 LIMIT 5;
SELECT json_object('n', count(*), 'max', max(length(note))) FROM orders;
BEGIN;
DELETE FROM orders WHERE amount > 50;
SELECT count(*) FROM orders;
ROLLBACK;
SELECT count(*) FROM orders;
UPDATE orders SET note = upper(note) WHERE id % 3 = 0;
SELECT note FROM orders WHERE id IN (3, 4, 29999) ORDER BY id;
VACUUM;
PRAGMA integrity_check;
SQL
	lkr_under sqlite3 -batch -bail db.sqlite <workload.sql
}
