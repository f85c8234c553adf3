# wl_sqlite.awk — writes the SQL for the sqlite3 workload: n single-row INSERTs into an
# in-memory database (each statement parsed and run on its own, as an application would),
# then updates, deletes, an index build and aggregate queries whose output is the checksum.
# Deterministic: names and text come from a fixed hash of the row number.
#
# Usage: awk -v n=ROWS -f wl_sqlite.awk > wl_sqlite.sql
BEGIN {
    if (n == "") n = 100000
    alphabet = "the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. "
    while (length(text) < 2048) text = text alphabet
    print "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, tags TEXT, body TEXT, score REAL);"
    print "CREATE INDEX item_name ON item(name);"
    print "BEGIN;"
    for (i = 1; i <= n; i++) {
        h = (i * 2654435761) % 4294967296          # Knuth's multiplicative hash: random order
        len = 16 + h % 300
        printf "INSERT INTO item(name, tags, body, score) VALUES('name-%010.0f', 'tag%d,tag%d', '%s', %d.5);\n",
            h, h % 13, h % 17, substr(text, 1 + h % 64, len), h % 1000
    }
    print "COMMIT;"
    print "BEGIN;"
    print "UPDATE item SET tags = tags || ',updated', body = body || body WHERE id % 7 = 0;"
    print "DELETE FROM item WHERE id % 5 = 0;"
    print "COMMIT;"
    print "CREATE INDEX item_tags ON item(tags, score);"
    print "SELECT count(*), sum(length(name)), sum(length(tags)), sum(length(body)), total(score) FROM item;"
    print "SELECT tags, count(*), sum(length(body)) FROM item GROUP BY tags ORDER BY 2 DESC, 1 LIMIT 5;"
    print "SELECT count(DISTINCT substr(body, 1, 24)) FROM item;"
}
