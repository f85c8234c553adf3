/* tests/own/test_box.c — Box<T>: one pointer; boxes and vecs of owners drop what they own. */
#include "helpers.h"

struct point { int x, y; };
SH_BOX_DECLARE(sh_box_point, struct point)

/* A struct that owns other values: dropping it drops them. */
struct person {
    sh_string name;
    sh_vec_i32 scores;
};
static int person_drops;
static void person_drop(struct person *p) {
    person_drops++;
    sh_string_drop(&p->name);
    sh_vec_i32_drop(&p->scores);
}
SH_BOX_DECLARE_DROP(sh_box_person, struct person, person_drop)
SH_VEC_DECLARE_DROP(sh_vec_person, struct person, person_drop)

_Static_assert(sizeof(sh_box_point) == 8, "a box is one pointer");

SH_TEST(test_box_layout_is_one_pointer) {
    CHECK_EQ(sizeof(sh_box_i32), 8);
    CHECK_EQ(sizeof(sh_box_person), 8);
}

SH_TEST(test_box_new_puts_value_on_heap) {
    long before = live_blocks();
    sh_auto(sh_box_i32) boxed = sh_box_new(sh_box_i32, 42);
    CHECK_EQ(*boxed.ptr, 42);
    CHECK_EQ(*sh_box_get(&boxed), 42);
    CHECK_EQ(live_blocks(), before + 1);
    CHECK_EQ(sh_usable_size(boxed.ptr) >= sizeof(int32_t), 1);
}

SH_TEST(test_box_of_struct) {
    sh_auto(sh_box_point) b = sh_box_new(sh_box_point, ((struct point){3, 4}));
    sh_box_get(&b)->y = 5;
    CHECK_EQ(b.ptr->x, 3);
    CHECK_EQ(b.ptr->y, 5);
}

SH_TEST(test_box_drop_frees_and_marks_dropped) {
    long before = live_blocks();
    sh_box_f64 b = sh_box_new(sh_box_f64, 2.5);
    sh_box_f64_drop(&b);
    CHECK_EQ(live_blocks(), before);
    CHECK(b.raw == SH_OWN_DROPPED);
}

SH_TEST(test_box_into_inner_moves_value_out_and_frees) {
    long before = live_blocks();
    sh_box_point b = sh_box_new(sh_box_point, ((struct point){1, 2}));
    struct point p = sh_box_into_inner(&b);
    CHECK_EQ(p.y, 2);
    CHECK_EQ(live_blocks(), before);
    CHECK(b.raw == SH_OWN_MOVED);
    sh_box_point_drop(&b);              /* a moved-from box: nothing to do */
}

SH_TEST(test_box_drop_recurses_into_owned_fields) {
    long before = live_blocks();
    person_drops = 0;
    {
        struct person p = {sh_string_from("Ada"), sh_vec_from(sh_vec_i32, 90, 95)};
        sh_auto(sh_box_person) b = sh_box_new(sh_box_person, p);
        CHECK_EQ(live_blocks(), before + 3);
        CHECK(strcmp(b.ptr->name.ptr, "Ada") == 0);
    }
    CHECK_EQ(person_drops, 1);
    CHECK_EQ(live_blocks(), before);
}

SH_TEST(test_box_of_string_drops_the_string) {
    long before = live_blocks();
    {
        sh_auto(sh_box_string) b = sh_box_new(sh_box_string, sh_string_from("boxed"));
        sh_string_push_str(b.ptr, "!");
        CHECK(strcmp(b.ptr->ptr, "boxed!") == 0);
    }
    CHECK_EQ(live_blocks(), before);
}

SH_TEST(test_vec_of_owners_drops_each_element) {
    long before = live_blocks();
    person_drops = 0;
    {
        sh_auto(sh_vec_person) people = sh_vec_new(sh_vec_person);
        sh_vec_push(&people, ((struct person){sh_string_from("a"), sh_vec_new(sh_vec_i32)}));
        sh_vec_push(&people, ((struct person){sh_string_from("b"), sh_vec_from(sh_vec_i32, 1)}));
        sh_vec_push(&people, ((struct person){sh_string_from("c"), sh_vec_new(sh_vec_i32)}));
        sh_vec_person_truncate(&people, 2);
        CHECK_EQ(person_drops, 1);
        CHECK_EQ(people.len, 2);
    }
    CHECK_EQ(person_drops, 3);
    CHECK_EQ(live_blocks(), before);
}

SH_TEST(test_vec_of_owners_clear) {
    long before = live_blocks();
    sh_auto(sh_vec_string) words = sh_vec_new(sh_vec_string);
    sh_vec_push(&words, sh_string_from("one"));
    sh_vec_push(&words, sh_string_from("two"));
    sh_vec_string_clear(&words);
    CHECK_LEN_CAP(words, 0, 4);
    sh_vec_shrink_to_fit(&words);
    CHECK_EQ(live_blocks(), before);
}

SH_TEST(test_vec_of_owners_pop_moves_out) {
    sh_auto(sh_vec_string) words = sh_vec_new(sh_vec_string);
    sh_vec_push(&words, sh_string_from("one"));
    sh_auto(sh_string) w = sh_string_new();
    CHECK(sh_vec_pop(&words, &w));
    CHECK(strcmp(w.ptr, "one") == 0);       /* w owns it now; words drops nothing */
}

int main(void) { return sh_test_main(); }
