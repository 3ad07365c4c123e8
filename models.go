package aione

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Model is one model the API serves, as listed by [Client.Models].
type Model struct {
	// ID is the model's name, as given to Chat.
	ID string
	// Created is when the model was created, in Unix seconds, or zero.
	Created int64
	// OwnedBy is the organization that owns the model, if the server says.
	OwnedBy string
	// Raw is the model's JSON object exactly as received, for the fields
	// gateways add (context length, pricing, modalities). It is the
	// caller's: nothing else shares its memory.
	Raw json.RawMessage
}

// maxModelsBody bounds the answer of Models: gateways list thousands.
const maxModelsBody = 32 << 20

// Models lists the models the API key may use: GET {base URL}/models. The
// call goes through the same middleware, retries, authentication and
// errors as [Client.Chat]; request parameters among opts are ignored, and
// [WithTimeout] bounds the whole call.
func (c *Client) Models(ctx context.Context, opts ...Option) ([]Model, error) {
	cl, err := c.newCall(opts)
	if err != nil {
		return nil, err
	}
	if cl.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cl.timeout)
		defer cancel()
	}
	t := target{method: http.MethodGet, url: endpoint(cl.baseURL, modelsPath)}
	resp, _, err := cl.sendTo(ctx, t, resume{})
	if err != nil {
		return nil, err
	}
	data, err := cl.readAnswer(ctx, resp, maxModelsBody, "models list")
	if err != nil {
		return nil, err
	}
	models, err := decodeModels(data)
	if err != nil {
		if fillFromBody(&APIError{}, data) {
			return nil, newAPIError(resp.StatusCode, resp.Header, data)
		}
		return nil, err
	}
	return models, nil
}

// decodeModels decodes a model list: {"object":"list","data":[...]}, or a
// bare array, which some gateways send. Every model must have an ID.
func decodeModels(data []byte) ([]Model, error) {
	var list struct {
		Data []json.RawMessage `json:"data"`
	}
	trimmed := bytes.TrimSpace(data)
	var err error
	if len(trimmed) > 0 && trimmed[0] == '[' {
		err = json.Unmarshal(trimmed, &list.Data)
	} else {
		err = json.Unmarshal(trimmed, &list)
	}
	if err != nil {
		return nil, fmt.Errorf("aione: decoding models: %v: %q", err, excerpt(data))
	}
	if list.Data == nil {
		return nil, fmt.Errorf("aione: decoding models: no data list: %q", excerpt(data))
	}
	models := make([]Model, 0, len(list.Data))
	for i, raw := range list.Data {
		var m struct {
			ID      string `json:"id"`
			Created int64  `json:"created"`
			OwnedBy string `json:"owned_by"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("aione: decoding model %d: %v", i, err)
		}
		if m.ID == "" {
			return nil, fmt.Errorf("aione: decoding model %d: no id", i)
		}
		models = append(models, Model{ID: m.ID, Created: m.Created, OwnedBy: m.OwnedBy, Raw: bytes.Clone(raw)})
	}
	return models, nil
}
