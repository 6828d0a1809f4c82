package template

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Kind says what a Value holds: a literal or one of the intrinsic functions the local stack
// understands.
type Kind int

// The kinds of Value.
const (
	Absent      Kind = iota // the property was not in the template
	Literal                 // a plain scalar; Value.Literal holds its text
	Ref                     // !Ref / Ref: Value.Name is a parameter, pseudo parameter or logical id
	GetAtt                  // !GetAtt / Fn::GetAtt: Value.Name is the logical id, Value.Attr the attribute
	Sub                     // !Sub / Fn::Sub: Value.Literal is the format, Value.Vars its local variables
	Join                    // !Join / Fn::Join: Value.Literal is the delimiter, Value.Items the parts
	List                    // a YAML sequence; Value.Items holds the elements
	Unsupported             // another intrinsic (!If, !Select, …) or a mapping; Resolve fails on it
)

// Value is a template property that may be a literal or an intrinsic function. It decodes both the
// short YAML tags (!Ref X, !GetAtt A.B, !GetAtt [A, B], !Sub "…", !Sub ["…", {vars}], !Join) and the
// long JSON-style forms (Ref:, Fn::GetAtt:, Fn::Sub:, Fn::Join:). CloudFormation's own YAML libraries
// do the same; generic decoders such as goformation drop the tags, which is why this type exists.
type Value struct {
	Kind    Kind
	Literal string
	Name    string
	Attr    string
	Vars    map[string]Value
	Items   []Value
	// Node is the YAML node the value was decoded from, for error messages and the unsupported kinds.
	Node *yaml.Node
}

// Lit returns a literal Value, handy in tests and for synthesised values.
func Lit(s string) Value { return Value{Kind: Literal, Literal: s} }

// IsZero reports whether the value was absent from the template.
func (v Value) IsZero() bool { return v.Kind == Absent }

// String renders the value in short YAML form, for messages and debugging.
func (v Value) String() string {
	switch v.Kind {
	case Absent:
		return "<absent>"
	case Literal:
		return v.Literal
	case Ref:
		return "!Ref " + v.Name
	case GetAtt:
		return "!GetAtt " + v.Name + "." + v.Attr
	case Sub:
		return fmt.Sprintf("!Sub %q", v.Literal)
	case Join:
		parts := make([]string, len(v.Items))
		for i, it := range v.Items {
			parts[i] = it.String()
		}
		return fmt.Sprintf("!Join [%q, [%s]]", v.Literal, strings.Join(parts, ", "))
	case List:
		parts := make([]string, len(v.Items))
		for i, it := range v.Items {
			parts[i] = it.String()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		if v.Node != nil {
			return fmt.Sprintf("<unsupported %s at line %d>", v.Node.Tag, v.Node.Line)
		}
		return "<unsupported>"
	}
}

// References returns the logical ids and parameter names the value refers to (Ref, GetAtt and the
// ${…} placeholders of Sub), in order of appearance. Pseudo parameters (AWS::…) are included.
func (v Value) References() []string {
	var out []string
	var walk func(Value)
	walk = func(v Value) {
		switch v.Kind {
		case Ref, GetAtt:
			out = append(out, v.Name)
		case Sub:
			for _, p := range subPlaceholders(v.Literal) {
				if _, local := v.Vars[p]; local {
					continue
				}
				name, _, _ := strings.Cut(p, ".")
				if strings.HasPrefix(p, "AWS::") {
					name = p
				}
				out = append(out, name)
			}
			for _, sv := range v.Vars {
				walk(sv)
			}
		case Join, List:
			for _, it := range v.Items {
				walk(it)
			}
		}
	}
	walk(v)
	return out
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (v *Value) UnmarshalYAML(n *yaml.Node) error {
	d, err := decodeValue(n)
	if err != nil {
		return err
	}
	*v = d
	return nil
}

func decodeValue(n *yaml.Node) (Value, error) {
	if n.Kind == yaml.AliasNode {
		return decodeValue(n.Alias)
	}
	switch n.Tag {
	case "!Ref":
		if n.Kind != yaml.ScalarNode {
			return Value{}, nodeErr(n, "!Ref takes a name")
		}
		return Value{Kind: Ref, Name: n.Value, Node: n}, nil
	case "!GetAtt":
		return decodeGetAtt(n)
	case "!Sub":
		return decodeSub(n)
	case "!Join":
		return decodeJoin(n)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		// Another short-form intrinsic (!If, !Select, !FindInMap…): keep it so that parsing succeeds
		// and only resolving it fails, with the line number.
		return Value{Kind: Unsupported, Node: n}, nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return Value{Kind: Literal, Literal: n.Value, Node: n}, nil
	case yaml.SequenceNode:
		items := make([]Value, 0, len(n.Content))
		for _, c := range n.Content {
			it, err := decodeValue(c)
			if err != nil {
				return Value{}, err
			}
			items = append(items, it)
		}
		return Value{Kind: List, Items: items, Node: n}, nil
	case yaml.MappingNode:
		if len(n.Content) == 2 {
			key, arg := n.Content[0].Value, n.Content[1]
			switch key {
			case "Ref":
				if arg.Kind != yaml.ScalarNode {
					return Value{}, nodeErr(n, "Ref takes a name")
				}
				return Value{Kind: Ref, Name: arg.Value, Node: n}, nil
			case "Fn::GetAtt":
				return decodeGetAtt(arg)
			case "Fn::Sub":
				return decodeSub(arg)
			case "Fn::Join":
				return decodeJoin(arg)
			}
		}
		return Value{Kind: Unsupported, Node: n}, nil
	}
	return Value{}, nodeErr(n, "unexpected YAML node")
}

func decodeGetAtt(n *yaml.Node) (Value, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		// The attribute itself may contain dots (Endpoint.Address): split at the first one.
		name, attr, ok := strings.Cut(n.Value, ".")
		if !ok || name == "" || attr == "" {
			return Value{}, nodeErr(n, "!GetAtt %q is not Resource.Attribute", n.Value)
		}
		return Value{Kind: GetAtt, Name: name, Attr: attr, Node: n}, nil
	case yaml.SequenceNode:
		if len(n.Content) != 2 || n.Content[0].Kind != yaml.ScalarNode || n.Content[1].Kind != yaml.ScalarNode {
			return Value{}, nodeErr(n, "!GetAtt list must be [Resource, Attribute]")
		}
		return Value{Kind: GetAtt, Name: n.Content[0].Value, Attr: n.Content[1].Value, Node: n}, nil
	}
	return Value{}, nodeErr(n, "malformed !GetAtt")
}

func decodeSub(n *yaml.Node) (Value, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return Value{Kind: Sub, Literal: n.Value, Node: n}, nil
	case yaml.SequenceNode:
		if len(n.Content) != 2 || n.Content[0].Kind != yaml.ScalarNode || n.Content[1].Kind != yaml.MappingNode {
			return Value{}, nodeErr(n, "!Sub list must be [format, {variables}]")
		}
		vars := map[string]Value{}
		m := n.Content[1]
		for i := 0; i+1 < len(m.Content); i += 2 {
			vv, err := decodeValue(m.Content[i+1])
			if err != nil {
				return Value{}, err
			}
			vars[m.Content[i].Value] = vv
		}
		return Value{Kind: Sub, Literal: n.Content[0].Value, Vars: vars, Node: n}, nil
	}
	return Value{}, nodeErr(n, "malformed !Sub")
}

func decodeJoin(n *yaml.Node) (Value, error) {
	if n.Kind != yaml.SequenceNode || len(n.Content) != 2 || n.Content[0].Kind != yaml.ScalarNode {
		return Value{}, nodeErr(n, "!Join must be [delimiter, [values]]")
	}
	parts, err := decodeValue(n.Content[1])
	if err != nil {
		return Value{}, err
	}
	if parts.Kind != List {
		return Value{}, nodeErr(n, "!Join values must be a list")
	}
	return Value{Kind: Join, Literal: n.Content[0].Value, Items: parts.Items, Node: n}, nil
}

// subPlaceholders lists the ${…} names of a Sub format, skipping the ${!literal} escapes.
func subPlaceholders(format string) []string {
	var out []string
	for s := format; ; {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		name := s[i+2 : i+j]
		if !strings.HasPrefix(name, "!") {
			out = append(out, strings.TrimSpace(name))
		}
		s = s[i+j+1:]
	}
}

func nodeErr(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("line %d: %s", n.Line, fmt.Sprintf(format, args...))
}
