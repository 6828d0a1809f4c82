package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"banban/local/demo"
	"banban/shared/auth"
	"banban/shared/directory"
)

func runJWT(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("jwt", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	sf := addStackFlags(fs, e)
	staff := fs.String("staff", "", "a staff member of the demo directory: role and scope come from there")
	role := fs.String("role", "", "role claim (citizen, enterprise, helper, clerk, unit_admin, hall_admin, city_admin)")
	sub := fs.String("sub", "", "the principal's id within its kind (a staff id, a citizen's pseudonym); the token's subject is <kind>:<id>")
	unit := fs.String("unit", "", "unit claim")
	hall := fs.String("hall", "", "hall claim")
	window := fs.String("window", "", "window claim")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	extra := kvFlag{}
	fs.Var(extra, "claim", "extra string claim `name=value` (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *staff != "" {
		st, err := demoStaff(e.root, *staff)
		if err != nil {
			return err
		}
		*role, *sub, *unit, *hall, *window = string(st.Role), st.ID, st.UnitID, st.HallID, st.WindowID
	}
	if *role == "" || *sub == "" {
		return errors.New("-staff, or -role and -sub, are required")
	}
	if !auth.Role(*role).Valid() {
		return fmt.Errorf("unknown role %q; roles: %v", *role, auth.Roles)
	}
	tpl, params, err := sf.load()
	if err != nil {
		return err
	}
	authority, err := sf.authority(tpl, params)
	if err != nil {
		return err
	}
	p := auth.NewStaff(*sub, auth.Role(*role), *unit, *hall, *window)
	if k := auth.KindOf(p.Role); k != auth.KindStaff {
		p = auth.Principal{Kind: k, Subject: auth.SubjectOf(k, *sub), Role: p.Role}
	}
	claims := map[string]any{}
	for k, v := range p.Claims() {
		claims[k] = v
	}
	for k, v := range extra {
		claims[k] = v
	}
	tok, err := authority.Mint(claims, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, tok)
	return nil
}

func demoStaff(root, id string) (directory.Staff, error) {
	d, err := demo.ReadDirectory(root)
	if err != nil {
		return directory.Staff{}, err
	}
	for _, st := range d.Staff {
		if st.ID == id {
			return st, nil
		}
	}
	return directory.Staff{}, fmt.Errorf("no staff member %q in %s", id, demo.DirectoryFile)
}
