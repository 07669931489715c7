# vidmake — make for narrated, AI-generated videos.
#   make demo    build the example (examples/civilwar) into examples/civilwar/out/civilwar/
#   make test    run every test
#   make bench   run the benchmarks
#   make deps    install the system packages vidmake needs (Debian/Ubuntu, apt-get)

SWIFT   ?= swift
PREFIX  ?= /usr/local
CONFIG  ?= debug
BIN      = $(shell $(SWIFT) build -c $(CONFIG) --show-bin-path 2>/dev/null)/vidmake

# Build-time libraries, the tools vidmake runs, and curl (the fake-provider tests drive it).
APT_PACKAGES = pkg-config libyaml-dev libssl-dev libcurl4-openssl-dev \
               ffmpeg espeak-ng libespeak-ng1 ninja-build fonts-dejavu-core python3 curl

.PHONY: all build deps test demo bench install clean

all: build

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG)

test: build
	VIDMAKE_BIN=$(BIN) $(SWIFT) test -c $(CONFIG)

demo: build
	$(BIN) build examples/civilwar/civilwar.vid.yaml
	@echo "the video and its artifacts: examples/civilwar/out/civilwar/ (civilwar.mp4)"

bench: deps
	$(SWIFT) build -c release
	VIDMAKE_BIN=$$($(SWIFT) build -c release --show-bin-path)/vidmake bench/run

install: deps
	$(SWIFT) build -c release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/vidmake
	install -m 755 $$($(SWIFT) build -c release --show-bin-path)/vidmake $(DESTDIR)$(PREFIX)/bin/vidmake
	cp -R recipes $(DESTDIR)$(PREFIX)/share/vidmake/

clean:
	rm -rf .build
