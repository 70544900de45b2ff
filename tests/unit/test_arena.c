/*
 * test_arena.c: unit tests for src/core/arena.c. Pins down 16-byte
 * alignment, zero-filled memory, allocations bigger than a chunk, the string
 * helpers, defers running last-registered-first on reset and destroy, and
 * reset keeping a chunk for reuse.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "core/arena.h"

TEST(test_arena_allocations_are_16_byte_aligned)
{
	struct arena a;
	arena_init(&a, 256);
	size_t sizes[] = {1, 3, 7, 15, 16, 17, 31, 33, 100, 255, 1, 1000, 2};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		void *p = arena_alloc(&a, sizes[i]);
		CHECK(p != NULL);
		CHECK(((uintptr_t)p & 15u) == 0);
	}
	arena_destroy(&a);
}

TEST(test_arena_allocations_do_not_overlap)
{
	struct arena a;
	arena_init(&a, 128);
	unsigned char *ps[64];
	for (int i = 0; i < 64; i++) {
		ps[i] = arena_alloc(&a, 24);
		memset(ps[i], i + 1, 24);
	}
	bool intact = true;
	for (int i = 0; i < 64; i++)
		for (int k = 0; k < 24; k++)
			intact = intact && ps[i][k] == (unsigned char)(i + 1);
	CHECK(intact);
	arena_destroy(&a);
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

TEST(test_arena_memory_is_zeroed_even_after_reset_reuse)
{
	struct arena a;
	arena_init(&a, 1024);
	unsigned char *p = arena_alloc(&a, 512);
	CHECK(all_zero(p, 512));
	memset(p, 0xAB, 512);
	arena_reset(&a);
	unsigned char *q = arena_alloc(&a, 512);
	CHECK(q == p); /* same chunk, same place */
	CHECK(all_zero(q, 512));
	arena_destroy(&a);
}

TEST(test_arena_zero_size_allocation_is_non_null)
{
	struct arena a;
	arena_init(&a, 64);
	void *p = arena_alloc(&a, 0);
	CHECK(p != NULL);
	arena_destroy(&a);
}

TEST(test_arena_default_chunk_size_when_zero)
{
	struct arena a;
	arena_init(&a, 0);
	CHECK(a.chunk_size == 4096);
	CHECK(a.head == NULL); /* first chunk is lazy */
	CHECK(a.defers == NULL);
	arena_destroy(&a);
}

TEST(test_arena_allocation_bigger_than_chunk_size_is_usable)
{
	struct arena a;
	arena_init(&a, 64);
	unsigned char *small = arena_alloc(&a, 16);
	memset(small, 0x11, 16);
	size_t big = 100000;
	unsigned char *p = arena_alloc(&a, big);
	CHECK(((uintptr_t)p & 15u) == 0);
	CHECK(all_zero(p, big));
	memset(p, 0x5A, big); /* ASan flags this if the chunk were too small */
	unsigned char *after = arena_alloc(&a, 32);
	CHECK(all_zero(after, 32));
	CHECK(small[0] == 0x11 && small[15] == 0x11);
	CHECK(p[0] == 0x5A && p[big - 1] == 0x5A);
	arena_destroy(&a);
}

TEST(test_arena_many_chunks_are_freed_by_destroy)
{
	/* under ASan with leak detection this pins that nothing leaks */
	struct arena a;
	arena_init(&a, 64);
	for (int i = 0; i < 1000; i++)
		arena_alloc(&a, 48);
	arena_destroy(&a);
	CHECK(a.head == NULL);
	/* the arena is usable again after destroy */
	char *s = arena_strdup(&a, "again");
	CHECK_STR(s, "again");
	arena_destroy(&a);
}

TEST(test_arena_strdup_copies_the_string)
{
	struct arena a;
	arena_init(&a, 0);
	char src[] = "hello, arena";
	char *s = arena_strdup(&a, src);
	CHECK(s != src);
	CHECK_STR(s, "hello, arena");
	src[0] = 'J';
	CHECK_STR(s, "hello, arena");
	CHECK_STR(arena_strdup(&a, ""), "");
	arena_destroy(&a);
}

TEST(test_arena_strndup_stops_at_n_and_terminates)
{
	struct arena a;
	arena_init(&a, 0);
	CHECK_STR(arena_strndup(&a, "abcdef", 3), "abc");
	CHECK_STR(arena_strndup(&a, "abcdef", 0), "");
	/* not NUL-terminated input: only n bytes are read */
	const char raw[4] = {'w', 'x', 'y', 'z'};
	CHECK_STR(arena_strndup(&a, raw, 4), "wxyz");
	arena_destroy(&a);
}

TEST(test_arena_printf_formats_into_arena)
{
	struct arena a;
	arena_init(&a, 32);
	CHECK_STR(arena_printf(&a, "%s-%d-%05.1f", "id", 42, 3.14159), "id-42-003.1");
	CHECK_STR(arena_printf(&a, "%s", ""), "");
	/* longer than the chunk size */
	char *s = arena_printf(&a, "%0500d", 7);
	CHECK(strlen(s) == 500);
	CHECK(s[0] == '0' && s[499] == '7');
	arena_destroy(&a);
}

static char order[16];
static int norder;

static void record(void *p)
{
	if (norder < (int)sizeof order - 1)
		order[norder++] = *(const char *)p;
	order[norder] = '\0';
}

TEST(test_arena_defers_run_in_reverse_order_on_reset)
{
	struct arena a;
	arena_init(&a, 0);
	static const char tags[] = "abc";
	norder = 0;
	order[0] = '\0';
	arena_defer(&a, record, (void *)&tags[0]);
	arena_defer(&a, record, (void *)&tags[1]);
	arena_defer(&a, record, (void *)&tags[2]);
	CHECK_STR(order, ""); /* nothing runs before the reset */
	arena_reset(&a);
	CHECK_STR(order, "cba");
	/* defers run once: a second reset runs nothing */
	arena_reset(&a);
	CHECK_STR(order, "cba");
	arena_destroy(&a);
	CHECK_STR(order, "cba");
}

TEST(test_arena_defers_run_in_reverse_order_on_destroy)
{
	struct arena a;
	arena_init(&a, 64); /* small chunks: defers spread over several */
	static const char tags[] = "123456";
	norder = 0;
	order[0] = '\0';
	for (int i = 0; i < 6; i++) {
		arena_alloc(&a, 40);
		arena_defer(&a, record, (void *)&tags[i]);
	}
	arena_destroy(&a);
	CHECK_STR(order, "654321");
}

TEST(test_arena_defers_registered_after_reset_run_at_next_reset)
{
	struct arena a;
	arena_init(&a, 0);
	static const char tags[] = "xy";
	norder = 0;
	order[0] = '\0';
	arena_defer(&a, record, (void *)&tags[0]);
	arena_reset(&a);
	arena_defer(&a, record, (void *)&tags[1]);
	arena_reset(&a);
	CHECK_STR(order, "xy");
	arena_destroy(&a);
}

static void free_it(void *p)
{
	free(p);
}

TEST(test_arena_defer_can_release_heap_objects)
{
	/* the jansson/PG pattern: ownership handed to the arena; ASan's leak
	 * checker fails this binary if the defer never runs */
	struct arena a;
	arena_init(&a, 0);
	char *heap = malloc(100);
	CHECK(heap != NULL);
	arena_defer(&a, free_it, heap);
	arena_destroy(&a);
}

TEST(test_arena_reset_reuses_memory)
{
	struct arena a;
	arena_init(&a, 4096);
	void *first = arena_alloc(&a, 100);
	arena_alloc(&a, 5000); /* forces a second chunk */
	arena_alloc(&a, 3000); /* and a third */
	arena_reset(&a);
	CHECK(a.head != NULL);
	void *again = arena_alloc(&a, 100);
	CHECK(again == first);
	/* repeated request cycles do not grow the chunk list */
	for (int round = 0; round < 100; round++) {
		for (int i = 0; i < 20; i++)
			arena_alloc(&a, 100);
		arena_reset(&a);
	}
	CHECK(arena_alloc(&a, 100) == first);
	arena_destroy(&a);
}

TEST(test_arena_reset_on_empty_arena_is_harmless)
{
	struct arena a;
	arena_init(&a, 0);
	arena_reset(&a);
	CHECK(a.head == NULL);
	arena_destroy(&a);
	arena_destroy(&a);
	CHECK(a.head == NULL);
}

/* Run arena_alloc(size) in a child; true when the child died of SIGABRT. */
static bool alloc_aborts(size_t size)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		struct arena a;
		arena_init(&a, 0);
		unsigned char *p = arena_alloc(&a, size);
		p[0] = 1; /* would be an overrun if a wrapped size were accepted */
		_exit(0);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

TEST(test_arena_wrapping_size_aborts_instead_of_returning_a_tiny_block)
{
	CHECK(alloc_aborts(SIZE_MAX));
	CHECK(alloc_aborts(SIZE_MAX - 15));
	CHECK(alloc_aborts(SIZE_MAX / 2 + 1));
}

int main(void)
{
	RUN(test_arena_allocations_are_16_byte_aligned);
	RUN(test_arena_allocations_do_not_overlap);
	RUN(test_arena_memory_is_zeroed_even_after_reset_reuse);
	RUN(test_arena_zero_size_allocation_is_non_null);
	RUN(test_arena_default_chunk_size_when_zero);
	RUN(test_arena_allocation_bigger_than_chunk_size_is_usable);
	RUN(test_arena_many_chunks_are_freed_by_destroy);
	RUN(test_arena_strdup_copies_the_string);
	RUN(test_arena_strndup_stops_at_n_and_terminates);
	RUN(test_arena_printf_formats_into_arena);
	RUN(test_arena_defers_run_in_reverse_order_on_reset);
	RUN(test_arena_defers_run_in_reverse_order_on_destroy);
	RUN(test_arena_defers_registered_after_reset_run_at_next_reset);
	RUN(test_arena_defer_can_release_heap_objects);
	RUN(test_arena_reset_reuses_memory);
	RUN(test_arena_reset_on_empty_arena_is_harmless);
	RUN(test_arena_wrapping_size_aborts_instead_of_returning_a_tiny_block);
	return check_done("arena");
}
