package benchdata

import (
	"fmt"
	"strings"
)

// ConversationTurns is the number of tool-using turns of the long
// conversation: each is a user question, an assistant message calling a
// tool, the tool's result and the assistant's answer.
const ConversationTurns = 37

// Turn is one message of the long conversation in no SDK's types, so
// that every SDK sends the same conversation: the benchmarks convert it
// once, outside the timed loop.
type Turn struct {
	Role       string // "system", "user", "assistant" or "tool"
	Content    string // the text; "" with ToolCalls sends null content
	ToolCalls  []Call // the tools an assistant message calls
	ToolCallID string // the call a tool message answers
}

// Call is one tool call of an assistant message.
type Call struct {
	ID, Name, Arguments string
}

// Conversation returns the long conversation: a system prompt and
// [ConversationTurns] turns, 149 messages and about 170 KB of request
// body, with the escapes (newlines, quotes), non-ASCII text and JSON
// arguments and results of an agent's history.
func Conversation() []Turn {
	turns := []Turn{{Role: "system", Content: systemPrompt}}
	for i := range ConversationTurns {
		city := cities[i%len(cities)]
		id := fmt.Sprintf("call_%03d_q8ZbVhKx2mPw7RtL", i)
		turns = append(turns,
			Turn{Role: "user", Content: fmt.Sprintf("Turn %d: what will the weather be in %s this week, and should I pack an umbrella? Réponds aussi en français, s'il te plaît.", i, city)},
			Turn{Role: "assistant", ToolCalls: []Call{{
				ID:        id,
				Name:      "get_forecast",
				Arguments: fmt.Sprintf(`{"city":%q,"days":7,"units":"metric","include":["precipitation","wind","uv_index"]}`, city),
			}}},
			Turn{Role: "tool", ToolCallID: id, Content: forecast(i, city)},
			Turn{Role: "assistant", Content: answer(i, city)},
		)
	}
	return turns
}

var cities = []string{"Zürich", "São Paulo", "Kraków", "Reykjavík", "Montréal", "Tōkyō", "Málaga", "İstanbul"}

const systemPrompt = "You are a careful travel assistant. Use the get_forecast tool for every weather question; " +
	"never guess. Quote temperatures in °C, wind in km/h, and answer in the user's languages. " +
	"Keep answers short: a summary line, then one line a day.\n"

var weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

var skies = []string{"sunny", "partly cloudy", "overcast", "light rain", "showers", "thunderstorms — stay inside", "fog, then clear"}

// forecast returns the tool result of turn i: about 3 KB of JSON.
func forecast(i int, city string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"city":%q,"timezone":"Europe/Zurich","generated":"2026-11-%02dT06:00:00Z","days":[`, city, 1+i%28)
	for d, day := range weekdays {
		if d > 0 {
			b.WriteByte(',')
		}
		k := i + d
		fmt.Fprintf(&b, `{"day":%q,"min_c":%d,"max_c":%d,"sky":%q,"precip_mm":%d.%d,"wind_kmh":%d,"uv_index":%d,"note":"Température ressentie %d °C; vent du nord-est.","hourly_precip_mm":[`,
			day, k%9-2, 8+k%11, skies[k%len(skies)], k%13, k%10, 5+k*3%40, k%8, k%9-4)
		for h := range 24 {
			if h > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%d.%d", (k+h)%3, (k*h)%10)
		}
		b.WriteString("]}")
	}
	b.WriteString(`],"source":"Météo <demo> & friends"}`)
	return b.String()
}

// answer returns the assistant's answer of turn i: about 2.2 KB of text.
func answer(i int, city string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Here is the week in %s — yes, pack an umbrella for the \"wet\" days:\n\n", city)
	for d, day := range weekdays {
		k := i + d
		fmt.Fprintf(&b, "- %s: %s, %d to %d °C, wind %d km/h.\n", day, skies[k%len(skies)], k%9-2, 8+k%11, 5+k*3%40)
	}
	fmt.Fprintf(&b, "\nEn français : à %s, la semaine sera changeante ; prenez un parapluie les jours de pluie, "+
		"et une veste légère le matin. Les températures resteront entre %d et %d °C.\n\n", city, i%9-2, 8+i%11)
	for range 3 {
		b.WriteString(Paragraph)
	}
	return b.String()
}
