/*
 * tests/pkg/consumer/consumer.c — a program of stackheap's users, built by
 * tests/pkg/install_consumer.sh against an installed stackheap only (pkg-config, then
 * find_package): the headers it includes and the library it links must all be installed.
 * Prints one line the script compares.
 */
#include <stdio.h>

#include <stackheap/heap.h>
#include <stackheap/own.h>
#include <stackheap/version.h>

int main(void) {
    sh_auto(sh_string) name = sh_string_from("Hello");
    sh_string_push_str(&name, ", world!");
    sh_auto(sh_vec_i32) numbers = sh_vec_new(sh_vec_i32);
    for (int32_t i = 1; i <= 3; i++) sh_vec_push(&numbers, i);
    sh_auto(sh_box_i32) boxed = sh_box_new(sh_box_i32, 42);

    char *raw = sh_malloc(100);
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    printf("c: %s len %zu cap %zu, numbers len %zu cap %zu, boxed %d, usable>=100 %d, "
           "live blocks>=4 %d, header %s, library %s\n",
           sh_string_cstr(&name), sh_string_len(&name), sh_string_cap(&name),
           sh_vec_len(&numbers), sh_vec_cap(&numbers), *sh_box_get(&boxed),
           sh_usable_size(raw) >= 100, st.live_blocks >= 4, SH_VERSION_STRING, sh_version());
    sh_free(raw);
    return 0;
}
