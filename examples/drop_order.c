/*
 * examples/drop_order.c — when the heap blocks of heap_types are freed: at the closing
 * brace, in reverse order of declaration, each owner first dropping what it owns.
 *
 *     build/examples/drop_order
 *
 * sh_auto(T) x = ...; calls T_autodrop(&x) when x goes out of scope. To watch that happen,
 * this program gives its handle types an autodrop that prints a line and then does the
 * library's drop (it has one variable of each type, so the line can name it). The last
 * variable is a Box of a struct that owns a String: dropping the box drops the struct's
 * String first (the drop recurses), then frees the box's own block.
 */
#include <stdint.h>
#include <stdio.h>

#include <stackheap/own.h>

/* The library's String, Vec<i32> and Box<i32>, with an autodrop that says when it runs. */
typedef sh_string noisy_string;
typedef sh_vec_i32 noisy_vec_i32;
typedef sh_box_i32 noisy_box_i32;

static void noisy_string_autodrop(noisy_string *s) {
    printf("drop(name)     frees \"%s\" (len %zu, cap %zu)\n", s->ptr, s->len, s->cap);
    sh_string_autodrop(s);
}

static void noisy_vec_i32_autodrop(noisy_vec_i32 *v) {
    printf("drop(numbers)  frees its %zu-byte block (len %zu, cap %zu)\n", v->cap * sizeof *v->ptr,
           v->len, v->cap);
    sh_vec_i32_autodrop(v);
}

static void noisy_box_i32_autodrop(noisy_box_i32 *b) {
    printf("drop(boxed)    frees its %zu-byte block holding %d\n", sizeof *b->ptr, *b->ptr);
    sh_box_i32_autodrop(b);
}

/* A struct that owns a String, and a Box type that drops it (Rust's Box<Profile>). */
typedef struct profile {
    sh_string email;   // owns its own heap block
    int32_t id;
} profile;

static void profile_drop(profile *p) {
    printf("drop(account)  drops the Profile inside the box first:\n");
    printf("  drop(email)  frees \"%s\" (len %zu, cap %zu)\n", p->email.ptr, p->email.len,
           p->email.cap);
    sh_string_drop(&p->email);
    printf("  then the box frees the Profile's own %zu bytes\n", sizeof *p);
}

SH_BOX_DECLARE_DROP(box_profile, profile, profile_drop)

int main(void) {
    sh_auto(noisy_string) name = sh_string_from("Hello");
    sh_string_push_str(&name, ", world!");
    printf("name     %2zu-byte handle {ptr, len %zu, cap %zu}\n", sizeof name,
           sh_string_len(&name), sh_string_cap(&name));

    sh_auto(noisy_vec_i32) numbers = sh_vec_new(sh_vec_i32);
    sh_vec_push(&numbers, 1);
    sh_vec_push(&numbers, 2);
    sh_vec_push(&numbers, 3);
    printf("numbers  %2zu-byte handle {ptr, len %zu, cap %zu}\n", sizeof numbers,
           sh_vec_len(&numbers), sh_vec_cap(&numbers));

    sh_auto(noisy_box_i32) boxed = sh_box_new(sh_box_i32, 42);
    printf("boxed    %2zu-byte handle {ptr}\n", sizeof boxed);

    profile user = {sh_string_from("ferris@example.org"), 7};
    sh_auto(box_profile) account = sh_box_new(box_profile, sh_move(user));  // user is moved
    printf("account  %2zu-byte handle {ptr} -> Profile { email: \"%s\", id: %d }\n",
           sizeof account, sh_box_get(&account)->email.ptr, sh_box_get(&account)->id);

    printf("end of main: drops run in reverse order of declaration\n");
}
