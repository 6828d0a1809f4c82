// Package openapi reads the operations of docs/openapi.yaml with their declared access policy
// (x-policy), for the tests that hold the code and the running system to the contract.
package openapi

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Policy is an operation's x-policy: its access (public, kiosk, token) and, for token routes,
// the target the path names and the reach of each role that may call it.
type Policy struct {
	Access string              `yaml:"access"`
	Target string              `yaml:"target"`
	Roles  map[string][]string `yaml:"roles"`
}

// Operation is one route of the contract.
type Operation struct {
	ID     string // operationId
	Method string // upper case
	Path   string
	Policy *Policy // nil when the operation declares none
}

// Key is the operation's route key, e.g. "GET /v1/cases/{id}".
func (o Operation) Key() string { return o.Method + " " + o.Path }

// Operations reads every operation of the OpenAPI document at path, in operationId order.
func Operations(path string) ([]Operation, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read contract: %w", err)
	}
	var spec struct {
		Paths map[string]map[string]struct {
			OperationID string  `yaml:"operationId"`
			Policy      *Policy `yaml:"x-policy"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("parse contract: %w", err)
	}
	var ops []Operation
	for p, methods := range spec.Paths {
		for method, op := range methods {
			ops = append(ops, Operation{ID: op.OperationID, Method: strings.ToUpper(method), Path: p, Policy: op.Policy})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].ID < ops[j].ID })
	return ops, nil
}
