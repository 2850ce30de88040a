// SPDX-License-Identifier: MIT
// abort_throw.cc - a C++ program that loses 100 blocks of 1000 bytes (new[] in
// lose_records) and then throws an exception nothing catches: std::terminate calls abort,
// a few milliseconds after start, before libleak's first periodic snapshot.
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

__attribute__((noinline)) static void lose_records()
{
	for (int i = 0; i < 100; i++) {
		char *volatile p = new char[1000];
		std::memset(p, 'r', 1000);
	}
}

__attribute__((noinline)) static void load_config(const char *path)
{
	throw std::runtime_error(std::string("no config at ") + path);
}

int main()
{
	lose_records();
	std::puts("loading");
	std::fflush(stdout);
	load_config("/nonexistent.conf");
	return 0;
}
