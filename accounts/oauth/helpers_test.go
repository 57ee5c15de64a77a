package oauth

import "github.com/ternmail/tern/accounts"

func accountsSettings(provider, clientID string) accounts.OAuthSettings {
	return accounts.OAuthSettings{Provider: provider, ClientID: clientID}
}
