# bench/table.awk — turns bench/out/raw.tsv into the Markdown results table.
#
# Input rows: workload allocator rep wall_s maxrss_kib user_s sys_s status (tab-separated).
# A cell's time is the best of its runs (noise from the rest of the machine only ever adds
# time), its RSS the median. One bad run makes the whole cell FAILED: an allocator that
# crashes one time in three is broken, not slow. Variables: allocs (the
# allocator names in column order), titles ("name=title|..."), runs (the directory with
# each run's .err file, quoted under the table when a run failed).
BEGIN {
    FS = "\t"
    nalloc = split(allocs, alloc, " ")
    ntitle = split(titles, pairs, "|")
    for (i = 1; i <= ntitle; i++) {
        eq = index(pairs[i], "=")
        title[substr(pairs[i], 1, eq - 1)] = substr(pairs[i], eq + 1)
    }
}

{
    w = $1; a = $2
    if (!(w in seen)) { seen[w] = 1; order[++nw] = w }
    key = w SUBSEP a
    if ($8 == "n/a") { state[key] = "n/a"; next }
    if ($8 != "ok") {
        if (state[key] != "FAILED") { why[key] = $8; whyrep[key] = $3 }
        state[key] = "FAILED"
        next
    }
    if (state[key] == "") state[key] = "ok"
    n = ++count[key]
    t[key, n] = $4
    r[key, n] = $5 / 1024
}

function median(arr, key, n,    i, j, v, s) {
    for (i = 1; i <= n; i++) s[i] = arr[key, i]
    for (i = 2; i <= n; i++) {          # insertion sort: n is the repetition count
        v = s[i]
        for (j = i - 1; j >= 1 && s[j] > v; j--) s[j + 1] = s[j]
        s[j + 1] = v
    }
    return (n % 2) ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
}

function smallest(arr, key, n,    i, m) {
    m = arr[key, 1]
    for (i = 2; i <= n; i++) if (arr[key, i] < m) m = arr[key, i]
    return m
}

function good(w, a) { return state[w, a] == "ok" }

function cell(w, a, which) {
    if (state[w, a] != "ok") return state[w, a] == "" ? "n/a" : state[w, a]
    return which == "t" ? sprintf("%.3f", tmed[w, a]) : sprintf("%.1f", rmed[w, a])
}

# stackheap's value over the peer's, and kept for the geometric mean.
function ratio(w, peer, which,    x, y) {
    if (!good(w, "stackheap") || !good(w, peer)) return "–"
    x = which == "t" ? tmed[w, "stackheap"] : rmed[w, "stackheap"]
    y = which == "t" ? tmed[w, peer] : rmed[w, peer]
    if (y <= 0) return "–"
    logsum[peer, which] += log(x / y)
    logn[peer, which]++
    return sprintf("%.2f", x / y)
}

function geomean(peer, which) {
    if (!logn[peer, which]) return "–"
    return sprintf("%.2f", exp(logsum[peer, which] / logn[peer, which]))
}

function explain(status) {
    if (status == "wrong-output") return "output differs from the reference run's (wrong checksum)"
    if (status ~ /^exit:/) return "exited with status " substr(status, 6)
    if (status ~ /^signal:/) return "killed by signal " substr(status, 8)
    if (status == "timeout") return "still running after the time limit, killed"
    if (status == "preload-ignored") return "ld.so could not preload the library"
    if (status == "not-started") return "could not be started"
    return status
}

function first_line(file,    line) {
    line = ""
    while ((getline line < file) > 0)
        if (line ~ /[^ \t]/) break
    close(file)
    return line
}

END {
    for (i = 1; i <= nw; i++)
        for (j = 1; j <= nalloc; j++) {
            key = order[i] SUBSEP alloc[j]
            if (state[key] != "ok") continue
            tmed[key] = smallest(t, key, count[key])
            rmed[key] = median(r, key, count[key])
        }

    head = "| workload |"; rule = "|---|"
    for (j = 1; j <= nalloc; j++) {
        head = head " " alloc[j] " s | " alloc[j] " MiB |"
        rule = rule "--:|--:|"
    }
    head = head " time sh/glibc | time sh/mimalloc | RSS sh/glibc | RSS sh/mimalloc |"
    rule = rule "--:|--:|--:|--:|"
    print head
    print rule
    for (i = 1; i <= nw; i++) {
        w = order[i]
        row = "| " ((w in title) ? title[w] : w) " |"
        for (j = 1; j <= nalloc; j++)
            row = row " " cell(w, alloc[j], "t") " | " cell(w, alloc[j], "r") " |"
        row = row " " ratio(w, "glibc", "t") " | " ratio(w, "mimalloc", "t") " |"
        row = row " " ratio(w, "glibc", "r") " | " ratio(w, "mimalloc", "r") " |"
        print row
    }
    row = "| geometric mean |"
    for (j = 1; j <= nalloc; j++) row = row " | |"
    row = row " " geomean("glibc", "t") " | " geomean("mimalloc", "t") " |"
    row = row " " geomean("glibc", "r") " | " geomean("mimalloc", "r") " |"
    print row

    nfail = 0
    for (i = 1; i <= nw; i++)
        for (j = 1; j <= nalloc; j++) {
            key = order[i] SUBSEP alloc[j]
            if (state[key] != "FAILED") continue
            if (!nfail++) { print ""; print "Failures:" }
            err = first_line(runs "/" order[i] "." alloc[j] "." whyrep[key] ".err")
            printf "- %s under %s: %s (run %d)%s\n", order[i], alloc[j], explain(why[key]), \
                whyrep[key], err == "" ? "" : ": `" err "`"
        }
}
