/* SPDX-License-Identifier: MIT */
// heap_new.cc - C++ new and new[] reach libleak's malloc through libstdc++. Leaks
//   leak_via_new        10 x 1800 (new Blob)
//   leak_via_new_array  11 x 1900 (new char[1900]: no array cookie for a trivial type)
//   leak_via_new_aligned 12 x 640 (new of an alignas(64) type: operator new(size, align) in
//                        C++17, plain new under clang 14's default C++14)
// and frees everything else (delete, delete[], std::vector, std::string).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#define NOINLINE __attribute__((noinline))

struct Blob {
	char data[1800];
};

struct alignas(64) Aligned {
	char data[640];
};

// Keeps the compiler from deleting an allocation whose result is otherwise unused.
static inline void use(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

// A loop count the optimizer cannot see, so it cannot unroll the loop into several call
// sites: each function's leaks then share one stack and show up as one finding.
static volatile int opaque_one = 1;
static inline int times(int n)
{
	return n * opaque_one;
}

extern "C" NOINLINE void leak_via_new(void)
{
	for (int i = 0; i < times(10); i++)
		use(new Blob);
}

extern "C" NOINLINE void leak_via_new_array(void)
{
	for (int i = 0; i < times(11); i++)
		use(new char[1900]);
}

extern "C" NOINLINE void leak_via_new_aligned(void)
{
	for (int i = 0; i < times(12); i++)
		use(new Aligned);
}

extern "C" NOINLINE size_t no_leak_cxx(void)
{
	size_t n = 0;
	for (int i = 0; i < 50; i++) {
		Blob *b = new Blob;
		use(b);
		delete b;
		char *a = new char[3000];
		use(a);
		delete[] a;
		Aligned *al = new Aligned;
		use(al);
		delete al;
		std::vector<int> v(1000, i);
		std::string s(500, 'x');
		n += v.size() + s.size();
	}
	return n;
}

// Zeroes the dead stack below main, where malloc's and libleak's frames left copies of the
// leaked pointers, so a conservative reachability scan at exit cannot find them there and
// every leaked block stays unreachable ("leak", not "reachable").
__attribute__((noinline)) static void scrub_stack(void)
{
	char buf[256 * 1024];
	std::memset(buf, 0, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

int main()
{
	leak_via_new();
	leak_via_new_array();
	leak_via_new_aligned();
	scrub_stack();
	std::printf("%zu\n", no_leak_cxx());
	return 0;
}
