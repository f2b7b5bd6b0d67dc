// SPDX-License-Identifier: MIT

// The Go side of `make bench`: the same operations as apps/bench/main.c,
// measured the same way, printed as "bench <name> <value> <unit>".
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

var scale = 1

func report(name string, value float64, unit string) {
	fmt.Printf("bench %s %.1f %s\n", name, value, unit)
}

func spawnBatches(n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { wg.Done() }()
		if i%1000 == 999 {
			wg.Wait()
		}
	}
	wg.Wait()
}

// As in apps/bench, the first batch is untimed: it makes the stacks and
// Gs that the others reuse.
func benchSpawn() {
	n := 200000 * scale
	spawnBatches(1000)
	t0 := time.Now()
	spawnBatches(n)
	report("spawn", float64(time.Since(t0).Nanoseconds())/float64(n), "ns/op")
}

func benchYield() {
	n := 1000000 * scale
	var wg sync.WaitGroup
	wg.Add(2)
	t0 := time.Now()
	for j := 0; j < 2; j++ {
		go func() {
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	report("yield", float64(time.Since(t0).Nanoseconds())/float64(2*n), "ns/op")
}

func benchUnbuffered() {
	n := 500000 * scale
	ping, pong := make(chan int), make(chan int)
	go func() {
		for x := range ping {
			pong <- x
		}
	}()
	t0 := time.Now()
	x := 0
	for i := 0; i < n; i++ {
		ping <- x
		x = <-pong
	}
	report("unbuf_rt", float64(time.Since(t0).Nanoseconds())/float64(n), "ns/op")
	close(ping)
}

func benchBuffered() {
	n := 5000000 * scale
	c := make(chan int, 128)
	t0 := time.Now()
	x := 0
	for i := 0; i < n; i++ {
		c <- i
		x = <-c
	}
	_ = x
	report("buf", float64(time.Since(t0).Nanoseconds())/float64(n), "ns/op")
}

func benchMutex() {
	n := 20000000 * scale
	var m sync.Mutex
	t0 := time.Now()
	for i := 0; i < n; i++ {
		m.Lock()
		m.Unlock()
	}
	report("mutex", float64(time.Since(t0).Nanoseconds())/float64(n), "ns/op")
}

func rss() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var pages, resident int64
	fmt.Sscan(string(b), &pages, &resident)
	return float64(resident * 4096)
}

func benchParked() {
	n := 100000
	c := make(chan int)
	var wg sync.WaitGroup
	before := rss()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() { <-c; wg.Done() }()
	}
	for runtime.NumGoroutine() < n+1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	report("parked", (rss()-before)/float64(n), "B/task")
	close(c)
	wg.Wait()
}

func main() {
	if len(os.Args) > 1 {
		if s, err := strconv.Atoi(os.Args[1]); err == nil && s > 0 {
			scale = s
		}
	}
	fmt.Printf("bench arch=go cpus=%d\n", runtime.GOMAXPROCS(0))
	benchSpawn()
	benchYield()
	benchUnbuffered()
	benchBuffered()
	benchMutex()
	benchParked()
}
