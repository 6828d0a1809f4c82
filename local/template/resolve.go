package template

import (
	"fmt"
	"strings"
)

// Resolver evaluates Values to strings, the way CloudFormation would after deployment, from values
// the caller supplies: parameter values, pseudo parameters and the physical names, URLs and ARNs of
// resources. The local stack fills it with local names; tests can fill it with anything.
type Resolver struct {
	// Params maps parameter names to values (see Template.ParameterValues for defaults).
	Params map[string]string
	// Pseudo maps pseudo parameters ("AWS::Region", "AWS::AccountId", …) to values.
	Pseudo map[string]string
	// Refs maps logical ids to what !Ref returns for them (table name, queue URL, function name…).
	Refs map[string]string
	// Attrs maps "LogicalId.Attribute" to what !GetAtt returns (e.g. "RatingsQueue.Arn").
	Attrs map[string]string
}

// PseudoParams returns the pseudo parameters of a stack in the given region and account, in the
// standard aws partition.
func PseudoParams(region, accountID, stackName string) map[string]string {
	return map[string]string{
		"AWS::Region":    region,
		"AWS::AccountId": accountID,
		"AWS::Partition": "aws",
		"AWS::URLSuffix": "amazonaws.com",
		"AWS::StackName": stackName,
		"AWS::StackId":   fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/local", region, accountID, stackName),
	}
}

// Resolve evaluates v to a string. Lists are not strings: use ResolveList for them.
func (r Resolver) Resolve(v Value) (string, error) {
	switch v.Kind {
	case Literal:
		return v.Literal, nil
	case Ref:
		return r.ref(v.Name)
	case GetAtt:
		return r.getAtt(v.Name, v.Attr)
	case Sub:
		return r.sub(v)
	case Join:
		parts := make([]string, len(v.Items))
		for i, it := range v.Items {
			s, err := r.Resolve(it)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return strings.Join(parts, v.Literal), nil
	case Absent:
		return "", fmt.Errorf("resolve: value is absent")
	case List:
		return "", fmt.Errorf("resolve %s: a list is not a string", v)
	default:
		return "", fmt.Errorf("resolve %s: unsupported intrinsic function", v)
	}
}

// ResolveList evaluates a list (or a single value, as a one-element list).
func (r Resolver) ResolveList(v Value) ([]string, error) {
	if v.Kind != List {
		s, err := r.Resolve(v)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	out := make([]string, len(v.Items))
	for i, it := range v.Items {
		s, err := r.Resolve(it)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func (r Resolver) ref(name string) (string, error) {
	if s, ok := r.Params[name]; ok {
		return s, nil
	}
	if s, ok := r.Pseudo[name]; ok {
		return s, nil
	}
	if s, ok := r.Refs[name]; ok {
		return s, nil
	}
	return "", fmt.Errorf("resolve !Ref %s: unknown parameter or resource", name)
}

func (r Resolver) getAtt(name, attr string) (string, error) {
	if s, ok := r.Attrs[name+"."+attr]; ok {
		return s, nil
	}
	return "", fmt.Errorf("resolve !GetAtt %s.%s: unknown resource attribute", name, attr)
}

// sub implements Fn::Sub: ${Name} is a Ref (or a local variable), ${Res.Attr} a GetAtt and
// ${!Text} the literal ${Text}.
func (r Resolver) sub(v Value) (string, error) {
	var b strings.Builder
	s := v.Literal
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		name := strings.TrimSpace(s[i+2 : i+j])
		s = s[i+j+1:]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			b.WriteString("${" + lit + "}")
			continue
		}
		var (
			val string
			err error
		)
		if local, ok := v.Vars[name]; ok {
			val, err = r.Resolve(local)
		} else if res, attr, dotted := strings.Cut(name, "."); dotted && !strings.HasPrefix(name, "AWS::") {
			val, err = r.getAtt(res, attr)
		} else {
			val, err = r.ref(name)
		}
		if err != nil {
			return "", fmt.Errorf("in %s: %w", v, err)
		}
		b.WriteString(val)
	}
}
