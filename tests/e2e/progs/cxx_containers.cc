/* SPDX-License-Identifier: MIT */
// cxx_containers.cc - a C++ service whose leaks sit under deep standard-library frames, for
// the short names and the folding of library frames. Each request (argv[1] of them, a
// millisecond apart, so the snapshots see steady growth) leaks
//   - a std::map node and its std::string key (a map that is never cleared, under a
//     pointer that is dropped at the end),
//   - a std::shared_ptr<Session> (make_shared) kept in that map,
//   - a new char[300] that handle_request forgets on odd requests.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

struct Session {
	std::string user;
	std::vector<int> data;
};

using Sessions = std::map<std::string, std::shared_ptr<Session>>;
static Sessions *sessions = new Sessions;
static char *volatile forgotten;

__attribute__((noinline)) void handle_request(int id)
{
	auto s = std::make_shared<Session>();
	s->user = "user-with-a-rather-long-name-" + std::to_string(id);
	s->data.resize(16);
	(*sessions)[s->user] = s;
	char *buf = new char[300];
	buf[0] = (char)id;
	forgotten = buf; // the only pointer, overwritten next time: a leak on odd ids
	if (id % 2 == 0)
		delete[] buf;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	for (int i = 0; i < n; i++) {
		handle_request(i);
		usleep(1000);
	}
	sessions = nullptr; // the whole map leaks
	forgotten = nullptr;
	std::printf("served %d\n", n);
	return 0;
}
