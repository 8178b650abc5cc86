package archive

import (
	"io/fs"
	"sort"
	"strings"
	"sync"
)

// Inflating is most of a scan's cost and one deflate stream cannot be split,
// but separate entries can be inflated at once. Prefetch does that for the
// entries the extractors will open, in the order the walk opens them, with a
// cap on inflated-but-unopened bytes so memory stays bounded.

type prefetchState int

const (
	queued prefetchState = iota
	running
	done
	taken    // Open got there first and reads it itself
	consumed // handed to Open
)

type prefetched struct {
	state  prefetchState
	ready  chan struct{}
	file   fs.File
	err    error
	weight int64
}

type prefetcher struct {
	mu      sync.Mutex
	cond    *sync.Cond
	items   map[string]*prefetched
	ahead   int64 // bytes inflated and not yet opened
	limit   int64
	stopped bool
	wg      sync.WaitGroup
}

// Prefetch starts inflating names (walk order is derived here) on workers
// goroutines, keeping at most maxAhead bytes waiting. Call the returned stop
// when the walk is over; it releases whatever was not opened.
func (z *FS) Prefetch(names []string, workers int, maxAhead int64) (stop func()) {
	if workers < 1 || len(names) == 0 {
		return func() {}
	}
	order := append([]string(nil), names...)
	sort.Slice(order, func(i, j int) bool { return walkLess(order[i], order[j]) })
	p := &prefetcher{items: map[string]*prefetched{}, limit: maxAhead}
	p.cond = sync.NewCond(&p.mu)
	var queue []string
	for _, n := range order {
		f, ok := z.files[n]
		if !ok {
			continue
		}
		// Spilled entries count too: they hold a descriptor and /tmp space.
		p.items[n] = &prefetched{ready: make(chan struct{}), weight: int64(f.UncompressedSize64)}
		queue = append(queue, n)
	}
	z.mu.Lock()
	z.pre = p
	z.mu.Unlock()

	next := 0
	for i := 0; i < workers; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				p.mu.Lock()
				for next < len(queue) && p.items[queue[next]].state != queued {
					next++
				}
				if p.stopped || next >= len(queue) {
					p.mu.Unlock()
					return
				}
				name := queue[next]
				it := p.items[name]
				next++
				// Wait for room, unless nothing is waiting: a single entry
				// larger than the cap must still be inflated.
				for !p.stopped && p.ahead > 0 && p.ahead+it.weight > p.limit && it.state == queued {
					p.cond.Wait()
				}
				if p.stopped || it.state != queued {
					p.mu.Unlock()
					continue
				}
				it.state = running
				p.ahead += it.weight
				p.mu.Unlock()

				file, err := z.load(name, z.files[name])

				p.mu.Lock()
				it.file, it.err, it.state = file, err, done
				close(it.ready)
				p.mu.Unlock()
			}
		}()
	}
	return func() {
		p.mu.Lock()
		p.stopped = true
		p.cond.Broadcast()
		p.mu.Unlock()
		p.wg.Wait()
		p.mu.Lock()
		for _, it := range p.items {
			if it.state == done && it.file != nil {
				it.file.Close() // spilled files vanish with their descriptor
			}
		}
		p.items = map[string]*prefetched{}
		p.mu.Unlock()
		z.mu.Lock()
		z.pre = nil
		z.mu.Unlock()
	}
}

// takePrefetched hands a prefetched entry to Open; ok is false when the
// entry was not prefetched and Open must read it itself. An FS with a
// prefetch running is meant for one walker: two concurrent Opens of one name
// would share a file.
func (z *FS) takePrefetched(name string) (fs.File, error, bool) {
	z.mu.Lock()
	p := z.pre
	z.mu.Unlock()
	if p == nil {
		return nil, nil, false
	}
	p.mu.Lock()
	it, ok := p.items[name]
	if !ok || it.state == taken || it.state == consumed {
		// Not prefetched, or opened before: read it afresh.
		p.mu.Unlock()
		return nil, nil, false
	}
	if it.state == queued {
		it.state = taken
		p.cond.Broadcast()
		p.mu.Unlock()
		return nil, nil, false
	}
	p.mu.Unlock()
	<-it.ready
	p.mu.Lock()
	file, err := it.file, it.err
	it.state, it.file = consumed, nil // the walk owns it now; let it be collected
	p.ahead -= it.weight
	p.cond.Broadcast()
	p.mu.Unlock()
	if err != nil {
		return nil, err, true
	}
	return file, nil, true
}

// walkLess orders paths as a depth-first walk over sorted directories visits
// them: component by component ("a/b" before "a.txt").
func walkLess(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] != bs[i] {
			return as[i] < bs[i]
		}
	}
	return len(as) < len(bs)
}
