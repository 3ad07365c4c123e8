package schema_test

import (
	"fmt"

	"github.com/aione/aione-go/internal/schema"
)

func ExampleOf() {
	type GetWeather struct {
		Location string  `json:"location" description:"City name."`
		Unit     *string `json:"unit,omitempty" enum:"celsius,fahrenheit"`
	}
	s, err := schema.Of[GetWeather](schema.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(s))
	s, err = schema.Of[GetWeather](schema.Options{Strict: true})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(s))
	// Output:
	// {"type":"object","properties":{"location":{"type":"string","description":"City name."},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["location"]}
	// {"type":"object","properties":{"location":{"type":"string","description":"City name."},"unit":{"anyOf":[{"type":"string","enum":["celsius","fahrenheit"]},{"type":"null"}]}},"required":["location","unit"],"additionalProperties":false}
}

func ExampleValidate() {
	type GetWeather struct {
		Location string `json:"location"`
		Days     int    `json:"days,omitempty" jsonschema:"minimum=1,maximum=14"`
	}
	s, err := schema.Of[GetWeather](schema.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(schema.Validate(s, []byte(`{"location":"Paris","days":3}`)))
	fmt.Println(schema.Validate(s, []byte(`{"days":3}`)))
	fmt.Println(schema.Validate(s, []byte(`{"location":"Paris","days":30}`)))
	// Output:
	// <nil>
	// schema: $.location: missing required property
	// schema: $.days: 30 is greater than the maximum 14
}
