// Package config is the one way banban reads its configuration: environment variables, set by
// template.yaml on AWS and by the local stack offline, decoded into a struct with `env` tags.
package config

import (
	"fmt"

	"github.com/caarlos0/env/v11"
)

// Load decodes the environment into a T. Fields tagged `env:"NAME,required"` must be set.
func Load[T any]() (T, error) {
	var cfg T
	if err := env.Parse(&cfg); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// Names lists the environment variable names a config struct reads, for the test that checks
// template.yaml sets every one of them.
func Names[T any]() ([]string, error) {
	var cfg T
	params, err := env.GetFieldParams(&cfg)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	names := make([]string, 0, len(params))
	for _, p := range params {
		names = append(names, p.Key)
	}
	return names, nil
}
