/* tests/cli/live_spin.c — built without -g (test_live.sh): a loop with no line of the
 * user's to stop at, so only the timeout ends it. */
void spin(void) {
    for (;;) {}
}
