/* image.h - the register image of one simulated device: a libmodbus mapping
 * covering every address its points and status registers use, filled from
 * the plant model with the points' own type, order, scale and offset
 * (wwtp_encode_regs), so the simulator always agrees with the config.
 *
 * Thread-safety: each image has its own mutex. The updater (main thread)
 * writes under it once a second; the serving threads answer requests under
 * it, so a client never sees half of a 32-bit value from one second and
 * half from the next. */
#ifndef WWTP_SIM_IMAGE_H
#define WWTP_SIM_IMAGE_H

#include <modbus.h>
#include <stdint.h>

#include "../model/station.h"
#include "model.h"

struct wwtp_sim_image;

/* dev must outlive the image. The mapping spans, per table, the lowest to
 * the highest address used; requests outside it get exception 2 (illegal
 * data address) from libmodbus. NULL on no memory (logged). */
struct wwtp_sim_image *wwtp_sim_image_new(const struct wwtp_device *dev);
void wwtp_sim_image_free(struct wwtp_sim_image *img); /* accepts NULL */

const struct wwtp_device *wwtp_sim_image_device(const struct wwtp_sim_image *img);

/* Writes every point's value and every status register for instant t (UTC
 * epoch seconds) of site. One updater thread per image (it uses scratch
 * space of the image). Returns the number of points whose value could
 * not be encoded (out of range for the type: logged once per point, the
 * register keeps its old content); 0 normally. */
int wwtp_sim_image_update(struct wwtp_sim_image *img, const struct wwtp_sim_site *site, int64_t t);

/* Answers req (req_len bytes, as modbus_receive gives it for ctx's backend)
 * with modbus_reply under the image's lock. Returns what modbus_reply does. */
int wwtp_sim_image_reply(struct wwtp_sim_image *img, modbus_t *ctx, const uint8_t *req,
			 int req_len);

/* Copies count registers of table (HOLDING or INPUT) from address, or one bit
 * of a bit table (COIL or DISCRETE). For the tests and for debugging.
 * Returns 0, or WWTP_ERR_RANGE if not all of it is in the image. */
int wwtp_sim_image_read_regs(struct wwtp_sim_image *img, enum wwtp_table table, uint16_t address,
			     uint16_t count, uint16_t *out);
int wwtp_sim_image_read_bit(struct wwtp_sim_image *img, enum wwtp_table table, uint16_t address,
			    uint8_t *out);

/* Control: `set` / `unset` (docs/simulator.md). */

/* Pins (on) or releases (!on) every point of param on this device. A pinned
 * point is written with value, through the same encoding as model values,
 * from the next wwtp_sim_image_update on. Returns the number of points of
 * param (0: the device has none, nothing done), or, when on, WWTP_ERR_RANGE
 * / WWTP_ERR_NAN / WWTP_ERR_INVAL if value cannot be encoded for one of
 * them (*bad names it, if bad is not NULL; nothing is pinned then). A bit
 * point takes a value that decodes from raw 0 or 1, rounded to it. */
int wwtp_sim_image_pin(struct wwtp_sim_image *img, const char *param, int on, double value,
		       const struct wwtp_point **bad);

/* Whether the device has any status register (its own, or a point's). */
int wwtp_sim_image_has_status(const struct wwtp_sim_image *img);

/* Forces every status register of the device to status (WWTP_READING_OK,
 * _CALIBRATING, _FAULT) from the next update on, or back to the model's
 * (WWTP_SIM_STATUS_AUTO). Returns 0, or WWTP_ERR_NOTFOUND when the device
 * has no status register. */
int wwtp_sim_image_force_status(struct wwtp_sim_image *img, int status);
int wwtp_sim_image_forced_status(struct wwtp_sim_image *img);

/* The value of param's (first) point on this device, decoded from the
 * registers with the collector's decoder. Returns 0, WWTP_ERR_NOTFOUND
 * (no such point), WWTP_ERR_NAN (a float holding NaN or infinity: *value
 * untouched) or another decoder error. *pinned (if not NULL) says whether
 * the point is pinned. */
int wwtp_sim_image_get(struct wwtp_sim_image *img, const char *param, double *value, int *pinned);

/* What the collector would read from a device at instant t without going
 * through a register image (the history replay, history.h). Pure. */

/* The engineering value of point p at t: the model's value (or flag, for a
 * bit point) encoded into registers and decoded back, so float32 rounding
 * and integer scaling come out as the collector's decoder gives them.
 * Returns 0, or the encoder's or decoder's error (a value the point cannot
 * hold). */
int wwtp_sim_point_value(const struct wwtp_sim_site *site, const struct wwtp_point *p, int64_t t,
			 double *value);
/* The status of point p of dev at t (WWTP_READING_*): the model's status of
 * its own analyzer when it has a status register, else of the device when
 * the device has one, else ok; as the collector decodes it. */
int wwtp_sim_point_status(const struct wwtp_sim_site *site, const struct wwtp_device *dev,
			  const struct wwtp_point *p, int64_t t);

#endif
