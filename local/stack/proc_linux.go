package stack

import (
	"fmt"
	"os/exec"
	"syscall"
)

// setProcAttrs puts the child in its own process group (so the group, including the function
// process RIE starts, can be signalled at once, and a Ctrl-C in the terminal reaches only
// banban-local, which then shuts down in order) and asks the kernel to kill it if banban-local dies
// without cleaning up, so no RIE is orphaned.
func setProcAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to the child's process group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
		return fmt.Errorf("signal %v to group %d: %w", sig, cmd.Process.Pid, err)
	}
	return nil
}
