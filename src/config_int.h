/*
 * config_int.h: what the two files of the config module share, and no other
 * module may use: config_yaml.c reads a YAML document into libyaml events
 * and offers typed readers over them that report FILE:LINE:COLUMN errors;
 * config.c knows the schema (keys, defaults) and builds struct config with
 * those readers, keeping each value's position in struct config_marks for
 * config_validate.c, which checks what needs the whole configuration. The
 * public interface is config.h.
 */
#ifndef CONFIG_INT_H
#define CONFIG_INT_H

#include <stdarg.h>
#include <stddef.h>

#include <yaml.h>

#include "config.h"

/* 1-based, as printed; 0 means unknown. */
struct config_pos {
	int	line;
	int	column;
};

struct config_account_marks {
	struct config_pos  name, subjects, database, archive;
	struct config_pos  js_domain, js_api_prefix;
	struct config_pos *projections;	/* one per projections[i] */
};

struct config_marks {
	struct config_pos  servers, max_events, max_wait_ms, accounts;
	struct config_pos  ready_max_lag, ready_grace_ms, ready_stall_ms;
	struct config_account_marks *account;	/* one per accounts[i] */
};

struct config_loader {
	yaml_parser_t	 parser;
	yaml_event_t	*evs;		/* the whole stream */
	size_t		 nevs;
	yaml_event_t	*ev;		/* the current one, in evs */
	yaml_mark_t	 key;		/* of the current value */
	const char	*text;
	size_t		 len;
	const char	*name;
	const char	*basedir;
	struct config	*cfg;
	char		*err;
	size_t		 errlen;
};

/* Called with a key's value as the current event; consumes the value. */
typedef int config_key_fn(struct config_loader *, int, void *);

struct config_pos config_yaml_pos(yaml_mark_t mark);
void	config_yaml_verr(char *err, size_t errlen, const char *file,
	    struct config_pos pos, const char *fmt, va_list ap);
int	config_yaml_ferr(char *err, size_t errlen, const char *file,
	    struct config_pos pos, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
int	config_yaml_lerr(struct config_loader *ld, yaml_mark_t mark,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int	config_yaml_syntax(struct config_loader *ld);
int	config_yaml_read(struct config_loader *ld);
void	config_yaml_next(struct config_loader *ld);
int	config_yaml_is_null(const yaml_event_t *ev);
const char *config_yaml_kind(const yaml_event_t *ev);
char	*config_yaml_resolve(const char *basedir, const char *path);
int	config_yaml_string(struct config_loader *ld, const char *key,
	    int item, char **out);
int	config_yaml_path(struct config_loader *ld, const char *key,
	    char **out);
int	config_yaml_int(struct config_loader *ld, const char *key, int *out);
int	config_yaml_list(struct config_loader *ld, const char *key,
	    int scalar_ok, char ***v, size_t *n, struct config_pos **pos);
const char *config_yaml_join(char *buf, size_t size,
	    const char *const *list);
int	config_yaml_in(const char *s, const char *const *list);
int	config_yaml_map(struct config_loader *ld, const char *what,
	    const char *where, const char *const *keys, config_key_fn *fn,
	    void *arg, unsigned *seen);

#endif /* CONFIG_INT_H */
