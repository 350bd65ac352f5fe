# tests/plugins/plugins.mk: the plug-ins the loader's tests load, built
# from tests/plugins/plug.c as a plug-in is (shared, position-independent,
# hidden but for its entry point, linking SQLite and jansson), once right
# and once per fault; included by the Makefile.

PLUGINS_DIR	= $(B)/tests/plugins
PLUGINS		= plug_seen plug_seen_v2 plug_seen_rebuilt plug_abi_major plug_abi_minor plug_short \
		  plug_noentry plug_undefined plug_fake_sqlite plug_other \
		  plug_mig_other plug_mig_trigger plug_own_sqlite
PLUGINS_SO	= $(PLUGINS:%=$(PLUGINS_DIR)/%.so)

plug_seen_DEFS		=
plug_seen_v2_DEFS	= -DPLUG_VERSION=2
plug_seen_rebuilt_DEFS	= -DPLUG_BUILD='"test 1.0, rebuilt"'
plug_abi_major_DEFS	= -DPLUG_ABI='(PROJECTION_ABI + (1u << 16))'
plug_abi_minor_DEFS	= -DPLUG_ABI='(PROJECTION_ABI + 1)'
plug_short_DEFS		= -DPLUG_SIZE=40
plug_noentry_DEFS	= -DPLUG_NO_EXPORT
plug_undefined_DEFS	= -DPLUG_UNDEFINED
plug_fake_sqlite_DEFS	= -DPLUG_FAKE_SQLITE
plug_other_DEFS		= -DPLUG_NAME='"plug_other"'
plug_mig_other_DEFS	= -DPLUG_MIGRATION='"CREATE TABLE stolen (a);"'
plug_mig_trigger_DEFS	= -DPLUG_MIGRATION='"CREATE TRIGGER spill AFTER \
			  INSERT ON plug_seen BEGIN DELETE FROM session_history; \
			  END;"'

# -Wno-override-init: the faulty ones override what PROJECTION_HEADER set.
$(PLUGINS_DIR)/%.so: tests/plugins/plug.c src/projection.h
	@mkdir -p $(@D)
	$(CC) -shared -fPIC -fvisibility=hidden -Isrc \
	    $(shell pkg-config --cflags sqlite3 jansson) $(CFLAGS) \
	    -Wno-override-init $($*_DEFS) -o $@ $< \
	    $(shell pkg-config --libs sqlite3 jansson)

# A real private copy of SQLite, linked in whole from Debian's static
# library and hidden: what the loader must refuse.
SQLITE_STATIC	= $(shell pkg-config --variable=libdir sqlite3)/libsqlite3.a
$(PLUGINS_DIR)/plug_own_sqlite.so: tests/plugins/plug.c src/projection.h
	@mkdir -p $(@D)
	$(CC) -shared -fPIC -fvisibility=hidden -Isrc \
	    $(shell pkg-config --cflags sqlite3 jansson) $(CFLAGS) \
	    -o $@ $< -Wl,--whole-archive $(SQLITE_STATIC) \
	    -Wl,--no-whole-archive -Wl,--exclude-libs,ALL \
	    $(shell pkg-config --libs jansson) -lm

# The loader's tests load them from beside themselves.
$(B)/tests/test_plugin $(B)/tests/test_catalog $(B)/tests/test_plugins \
    $(B)/tests/test_plugin_guard: \
    | $(PLUGINS_SO)

plugins: $(PLUGINS_SO)
.PHONY: plugins

# The example plug-in, built as an owner builds it: out of the tree, from a
# fresh `make install` into $(B)/sdk/root, with the pkg-config line of
# README "Writing a plug-in" and nothing else; test_plugin_sdk loads it.
SDK_ROOT	= $(abspath $(B))/sdk/root
$(B)/sdk/kill_feed.so: examples/kill_feed/kill_feed.c $(B)/projector \
    src/projection.h migrations/embed.sh
	rm -rf $(SDK_ROOT)
	$(MAKE) --no-print-directory install B=$(B) PREFIX=/usr \
	    DESTDIR=$(SDK_ROOT) > /dev/null
	cd $(dir $<) && PKG_CONFIG_PATH=$(SDK_ROOT)/usr/lib/pkgconfig \
	    PKG_CONFIG_SYSROOT_DIR=$(SDK_ROOT) sh -c 'cc -shared -fPIC \
	    -fvisibility=hidden $$(pkg-config --cflags projector) \
	    kill_feed.c -o $(abspath $@) $$(pkg-config --libs projector)'

$(B)/tests/test_plugin_sdk: | $(B)/sdk/kill_feed.so
