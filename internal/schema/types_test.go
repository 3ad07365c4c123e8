package schema

import (
	"encoding/json"
	"net/netip"
	"time"
)

// Types used by the golden, validation and determinism tests.

type Flat struct {
	Bool    bool    `json:"bool"`
	Int     int     `json:"int"`
	Int8    int8    `json:"int8"`
	Int16   int16   `json:"int16"`
	Int32   int32   `json:"int32"`
	Int64   int64   `json:"int64"`
	Uint    uint    `json:"uint"`
	Uint8   uint8   `json:"uint8"`
	Uint16  uint16  `json:"uint16"`
	Uint32  uint32  `json:"uint32"`
	Uint64  uint64  `json:"uint64"`
	Uintptr uintptr `json:"uintptr"`
	Float32 float32 `json:"float32"`
	Float64 float64 `json:"float64"`
	String  string  `json:"string"`
	NoTag   string
	Named   Celsius `json:"named"`
	Skipped string  `json:"-"`
	//lint:ignore U1000 unexported fields must be skipped, so this one is never read
	private string
}

// Celsius is a named non-struct type: it uses its underlying kind.
type Celsius float64

type Optional struct {
	Required      string   `json:"required"`
	Pointer       *string  `json:"pointer"`
	OmitEmpty     int      `json:"omit_empty,omitempty"`
	OmitZero      bool     `json:"omit_zero,omitzero"`
	ForcedReq     *int     `json:"forced_required" jsonschema:"required"`
	ForcedOpt     float64  `json:"forced_optional" jsonschema:"optional"`
	PtrPtr        **int64  `json:"ptr_ptr"`
	OptionalSlice []string `json:"optional_slice,omitempty"`
}

type Annotated struct {
	City    string   `json:"city" description:"The city, e.g. San Francisco." jsonschema:"minLength=1,maxLength=100"`
	Unit    string   `json:"unit" enum:"celsius, fahrenheit" description:"Temperature unit."`
	Days    int      `json:"days" enum:"1,3,7" description:"Forecast length."`
	Ratio   float32  `json:"ratio" enum:"0.5,1,1.5e0"`
	Flag    bool     `json:"flag" enum:"true"`
	Level   *uint8   `json:"level,omitempty" enum:"1,2,3"`
	Tags    []string `json:"tags" enum:"a,b" jsonschema:"minItems=1,maxItems=3"`
	Score   float64  `json:"score" jsonschema:"minimum=0,maximum=1.5"`
	Count   uint16   `json:"count" jsonschema:"minimum=1,maximum=10"`
	Email   string   `json:"email" jsonschema:"format=email,pattern=^[^@]+@[^@]+$"`
	Quoted  int64    `json:"quoted,string"`
	QuotedB *bool    `json:"quoted_b,string,omitempty"`
	QEnum   int      `json:"q_enum,string" enum:"1,2"`
	HTML    string   `json:"html" description:"Uses <b> & \"quotes\"."`
}

type Address struct {
	Street string `json:"street"`
	City   string `json:"city"`
}

type Nested struct {
	Name string   `json:"name"`
	Home Address  `json:"home" description:"Where they live."`
	Work *Address `json:"work,omitempty"`
	Anon struct {
		X int `json:"x"`
		Y int `json:"y,omitempty"`
	} `json:"anon"`
	Contact struct{} `json:"contact"`
}

type Collections struct {
	Strings  []string      `json:"strings"`
	Matrix   [][]float64   `json:"matrix"`
	Fixed    [3]int        `json:"fixed"`
	Bytes4   [4]byte       `json:"bytes4"`
	Ptrs     []*Address    `json:"ptrs"`
	Structs  []Address     `json:"structs,omitempty"`
	Named    StringList    `json:"named"`
	AnyItems []interface{} `json:"any_items"`
}

// StringList is a named slice type.
type StringList []string

type Maps struct {
	Counts   map[string]int             `json:"counts"`
	Nested   map[string]map[string]bool `json:"nested"`
	ByInt    map[int]string             `json:"by_int"`
	ByText   map[netip.Addr]Address     `json:"by_text"`
	Optional map[string]string          `json:"optional,omitempty"`
}

type Special struct {
	When     time.Time                    `json:"when"`
	WhenPtr  *time.Time                   `json:"when_ptr,omitempty"`
	Data     []byte                       `json:"data"`
	Raw      json.RawMessage              `json:"raw"`
	Any      any                          `json:"any"`
	Timeout  time.Duration                `json:"timeout"`
	Interval time.Duration                `json:"interval" description:"Polling interval in nanoseconds."`
	Addr     netip.Addr                   `json:"addr"`
	Custom   Custom                       `json:"custom"`
	Text     Text                         `json:"text"`
	Stringer interface{ String() string } `json:"stringer"`
}

// Custom implements json.Marshaler, so its schema is any value.
type Custom struct{ V int }

func (c Custom) MarshalJSON() ([]byte, error) { return json.Marshal(c.V) }

// Text implements encoding.TextMarshaler with a pointer receiver.
type Text struct{ V string }

func (t *Text) MarshalText() ([]byte, error) { return []byte(t.V), nil }

type Base struct {
	ID      string `json:"id"`
	Created int64  `json:"created"`
}

type Meta struct {
	Labels []string `json:"labels"`
	ID     int      `json:"meta_id"`
}

type Extra struct {
	Note string `json:"note"`
}

type conflictA struct{ Dup string }
type conflictB struct{ Dup string }

type unexportedBase struct {
	Hidden string `json:"hidden"`
}

type Embedded struct {
	Base
	*Meta
	Extra `json:"extra"`
	Name  string `json:"name"`
	ID    string `json:"id" description:"Shadows Base.ID."`
	conflictA
	conflictB
	unexportedBase
	Celsius
}

type Node struct {
	Value    string           `json:"value"`
	Children []Node           `json:"children"`
	Parent   *Node            `json:"parent,omitempty" description:"The parent node."`
	Index    map[string]*Node `json:"index,omitempty"`
}

type Recursive struct {
	Root  Node  `json:"root"`
	Other *Node `json:"other"`
	Expr  Expr  `json:"expr"`
}

// Expr and Term are mutually recursive.
type Expr struct {
	Terms []Term `json:"terms"`
}

type Term struct {
	Factor *Expr   `json:"factor,omitempty"`
	Value  float64 `json:"value"`
}

type StrictNode struct {
	Name     string        `json:"name"`
	Children []StrictNode  `json:"children"`
	Next     *StrictNode   `json:"next"`
	Tree     Tree[int]     `json:"tree"`
	Trees    []Tree[Extra] `json:"trees"`
}

// Tree is a generic recursive type.
type Tree[T any] struct {
	Value T         `json:"value"`
	Kids  []Tree[T] `json:"kids"`
}

// JSONValue is a recursive named map type.
type JSONValue map[string]JSONValue
