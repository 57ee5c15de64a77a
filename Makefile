# Tern's build. `make run` opens Tern, `make test` runs every test; each first
# installs what is missing (Debian/Ubuntu packages, Go modules).

GO      ?= go
BIN     := bin/tern
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Tests run under a private D-Bus session with an unlocked gnome-keyring, so
# that the keychain tests use a real Secret Service.
KEYRING := dbus-run-session -- bash scripts/with-keyring.sh

.PHONY: run demo build deps deps-test test test-short soak bench screenshot screenshots vet fmt clean install uninstall

run: build
	./$(BIN)

demo: build
	./$(BIN) --demo

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/tern

deps:
	@bash scripts/deps.sh run
	@$(GO) mod download

deps-test:
	@bash scripts/deps.sh test
	@$(GO) mod download

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }

# The whole suite: unit, protocol (in-process servers), real Dovecot and
# Postfix, the keychain, the GUI through Fyne's test driver, and the real
# window under Xvfb.
test: deps-test vet
	$(KEYRING) $(GO) test -race -count=1 -timeout 20m ./...

test-short: deps
	$(GO) test -count=1 ./...

# The crash loop: tern is killed with SIGKILL at random points of syncing,
# sending actions and sending mail against real Dovecot and Postfix, 50
# times; then the store must equal the server. TERN_SOAK_SEED=N replays
# a run's choices.
soak: deps-test
	TERN_SOAK=1 $(KEYRING) $(GO) test -count=1 -timeout 15m -run '^TestSoakCrashLoop$$' -v ./cmd/tern/

bench: deps-test
	$(GO) test -run '^$$' -bench . -benchmem -timeout 90m ./...

# A screenshot of the real window over the demo mailbox, for the README.
screenshot: build deps-test
	bash scripts/screenshot.sh $(BIN) docs/screenshot.png

# The README's pictures of the real window over the demo mailbox, under
# Xvfb: search, multi-selection, conversations and the cheat sheet
# (scripts/screenshots.sh), the first picture (scripts/screenshot.sh),
# then every scripts/screenshot-*.sh, each run as `SCRIPT BIN docs` in a
# keyring session (the health picture adds an account).
screenshots: build deps-test
	bash scripts/screenshots.sh $(BIN) docs
	bash scripts/screenshot.sh $(BIN) docs/screenshot.png
	@for s in scripts/screenshot-*.sh; do \
		[ -e "$$s" ] || continue; echo "$$s"; $(KEYRING) bash "$$s" $(BIN) docs || exit 1; \
	done

# Install under PREFIX: bin/tern, the desktop entry (the handler of mailto:
# links and message files), the icon in the hicolor sizes and the AppStream
# metainfo. Names and version come from FyneApp.toml.
PREFIX ?= $(HOME)/.local

install: build
	bash scripts/install.sh install "$(PREFIX)" $(BIN)

uninstall:
	bash scripts/install.sh uninstall "$(PREFIX)"

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
