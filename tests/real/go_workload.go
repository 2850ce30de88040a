// SPDX-License-Identifier: MIT
// go_workload.go - a Go program with cgo: goroutines over channels, maps and strings on Go's
// heap, C allocations through cgo (ten 1000-byte blocks never freed), a subprocess, then
// os.Exit(code) with the code from argv (0: a return from main).
package main

/*
#include <stdlib.h>
#include <string.h>
static void *c_keep(int n) { void *p = malloc(n); memset(p, 1, n); return p; }
static void c_churn(int n) { for (int i = 0; i < n; i++) free(malloc(16 + i % 512)); }
*/
import "C"

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
)

func main() {
	code := 0
	if len(os.Args) > 1 {
		code, _ = strconv.Atoi(os.Args[1])
	}
	for i := 0; i < 10; i++ {
		C.c_keep(1000)
	}
	results := make(chan string, 64)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			m := map[string]int{}
			for i := 0; i < 20000; i++ {
				m[strconv.Itoa(i%997)] += i
			}
			C.c_churn(2000)
			results <- fmt.Sprintf("worker %d: %d keys", w, len(m))
		}(w)
	}
	wg.Wait()
	close(results)
	var lines []string
	for r := range results {
		lines = append(lines, r)
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))
	out, err := exec.Command("echo", "from a child").Output()
	fmt.Printf("child: %q %v\n", strings.TrimSpace(string(out)), err)
	fmt.Println("exit", code)
	if code != 0 {
		os.Exit(code)
	}
}
