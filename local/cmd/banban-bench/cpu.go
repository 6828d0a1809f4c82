package main

import (
	"bufio"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat: 100 on Linux for every
// mainstream architecture.
const clockTick = 10 * time.Millisecond

// cpuMeter measures the CPU time (user + system) used by the processes of the local stack, in
// groups, so a run can say where the machine's cores went: DynamoDB Local, the SQS server, the
// functions (RIE and bootstraps, children of this program), and this program itself (gateway,
// pollers, clients, proxies).
type cpuMeter struct {
	groups []cpuGroup
}

type cpuGroup struct {
	name string
	root int  // the group is root and its descendants
	self bool // only root, not its descendants
}

// cpuGroupNames are the groups measured, in report order.
var cpuGroupNames = []string{"DynamoDB Local", "SQS server", "functions (RIE + bootstraps)", "banban-bench (gateway, pollers, clients, proxies)"}

// newCPUMeter finds the processes listening on the DynamoDB and SQS endpoints.
func newCPUMeter(dynamoEndpoint, sqsEndpoint string) (*cpuMeter, error) {
	m := &cpuMeter{}
	for i, ep := range []string{dynamoEndpoint, sqsEndpoint} {
		pid, err := listenerPID(ep)
		if err != nil {
			return nil, fmt.Errorf("cpu meter: %w", err)
		}
		m.groups = append(m.groups, cpuGroup{name: cpuGroupNames[i], root: pid})
	}
	self := os.Getpid()
	m.groups = append(m.groups, cpuGroup{name: cpuGroupNames[2], root: self}, cpuGroup{name: cpuGroupNames[3], root: self, self: true})
	return m, nil
}

// cpuSample is the CPU time used so far by each group, at a moment.
type cpuSample struct {
	at   time.Time
	used map[string]time.Duration
}

type procStat struct {
	ppid int
	cpu  time.Duration
}

func (m *cpuMeter) sample() (cpuSample, error) {
	procs, err := readProcs()
	if err != nil {
		return cpuSample{}, err
	}
	children := map[int][]int{}
	for pid, p := range procs {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	s := cpuSample{at: time.Now(), used: map[string]time.Duration{}}
	for _, g := range m.groups {
		if g.self {
			s.used[g.name] += procs[g.root].cpu
			continue
		}
		stack := []int{g.root}
		if g.root == os.Getpid() {
			stack = slices.Clone(children[g.root]) // descendants only
		}
		for len(stack) > 0 {
			pid := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			s.used[g.name] += procs[pid].cpu
			stack = append(stack, children[pid]...)
		}
	}
	return s, nil
}

// cpuUse is the CPU used by each group between two samples, and the wall time between them.
type cpuUse struct {
	wall time.Duration
	used map[string]time.Duration
}

func (a cpuSample) to(b cpuSample) cpuUse {
	u := cpuUse{wall: b.at.Sub(a.at), used: map[string]time.Duration{}}
	for k, v := range b.used {
		u.used[k] = v - a.used[k]
	}
	return u
}

func (u cpuUse) total() time.Duration {
	var t time.Duration
	for _, v := range u.used {
		t += v
	}
	return t
}

// readProcs reads the parent and CPU time of every process. Processes that end while the table is
// read are skipped: they are gone, and their time is no longer anyone's to measure.
func readProcs() (map[int]procStat, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("read /proc: %w", err)
	}
	out := map[int]procStat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // not a process directory
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // the process ended
		}
		// The command name is in parentheses and may contain spaces: the fields start after it.
		i := strings.LastIndexByte(string(raw), ')')
		if i < 0 {
			return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
		}
		f := strings.Fields(string(raw[i+1:]))
		if len(f) < 13 {
			return nil, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
		}
		ppid, err1 := strconv.Atoi(f[1])
		utime, err2 := strconv.ParseInt(f[11], 10, 64)
		stime, err3 := strconv.ParseInt(f[12], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		out[pid] = procStat{ppid: ppid, cpu: time.Duration(utime+stime) * clockTick}
	}
	return out, nil
}

// listenerPID finds the process listening on the port of a loopback endpoint, through the socket
// tables in /proc/net and the processes' file descriptors.
func listenerPID(endpoint string) (int, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return 0, fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return 0, fmt.Errorf("endpoint %q: port: %w", endpoint, err)
	}
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if err := listeningInodes(table, port, inodes); err != nil {
			return 0, err
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("nothing listens on port %d", port)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("read /proc: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // not a process directory
		}
		fds, err := os.ReadDir(filepath.Join("/proc", e.Name(), "fd"))
		if err != nil {
			continue // another user's process, or one that ended
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join("/proc", e.Name(), "fd", fd.Name()))
			if err != nil {
				continue // the descriptor was closed meanwhile
			}
			if inode, ok := strings.CutPrefix(link, "socket:["); ok && inodes[strings.TrimSuffix(inode, "]")] {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no process of this user listens on port %d", port)
}

// listeningInodes adds the inodes of the sockets listening on port in a /proc/net/tcp table.
func listeningInodes(table string, port int, into map[string]bool) error {
	f, err := os.Open(table)
	if err != nil {
		return fmt.Errorf("open %s: %w", table, err)
	}
	defer logFailure("close "+table, f.Close)
	sc := bufio.NewScanner(f)
	want := fmt.Sprintf(":%04X", port)
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != "0A" || !strings.HasSuffix(f[1], want) {
			continue
		}
		into[f[9]] = true
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}
