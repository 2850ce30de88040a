# SPDX-License-Identifier: MIT
# gen_sql.awk - writes the SQL script of the sqlite3 benchmark workload on stdout: a table
# filled by N inserts in one transaction, two indexes, grouped and indexed selects, an update,
# a self-join and a delete. Usage: awk -v n=80000 -f gen_sql.awk > workload.sql
BEGIN {
	if (n == "")
		n = 80000
	q = sprintf("%c", 39)
	print "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
	print "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, price REAL, note TEXT);"
	print "BEGIN;"
	for (i = 1; i <= n; i++)
		printf "INSERT INTO item(name,grp,price,note) VALUES(%sname-%d%s,%d,%.2f,%snote %d %s%s);\n",
			q, i, q, (i * 7919) % 97, ((i * 104729) % 100000) / 100.0, q, i,
			(i % 3 ? "alpha" : "beta gamma"), q
	print "COMMIT;"
	print "CREATE INDEX item_grp ON item(grp);"
	print "CREATE INDEX item_name ON item(name);"
	print "SELECT grp, count(*), avg(price), max(price) FROM item GROUP BY grp ORDER BY grp;"
	for (k = 0; k < 200; k++)
		printf "SELECT count(*), sum(price) FROM item WHERE grp=%d AND price > %d;\n", k % 97, k % 50
	printf "SELECT name FROM item WHERE name LIKE %sname-12%%%s ORDER BY price DESC LIMIT 20;\n", q, q
	printf "BEGIN; UPDATE item SET price = price * 1.1, note = note || %s upd%s WHERE grp %% 3 = 0; COMMIT;\n", q, q
	print "SELECT a.grp, count(*) FROM item a JOIN item b ON a.grp = b.grp AND b.id = a.id + 97 GROUP BY a.grp LIMIT 5;"
	print "DELETE FROM item WHERE id % 5 = 0;"
	print "SELECT count(*), total(price) FROM item;"
}
