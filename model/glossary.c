/* glossary.c - parameter names and units (glossary.h). */
#include "glossary.h"

#include <string.h>

static const struct wwtp_glossary_entry table[] = {
    /* QCVN 40:2011/BTNMT Table 1 and the monitoring circular's parameters. */
    {"temp", "Nhiệt độ", "Temperature", "°C", 0},
    {"color", "Độ màu", "Colour", "Pt/Co", 0},
    {"ph", "pH", "pH", "", 0},
    {"bod5", "BOD₅ (20 °C)", "BOD₅ (20 °C)", "mg/L", 0},
    {"cod", "COD", "COD", "mg/L", 0},
    {"tss", "Chất rắn lơ lửng (TSS)", "Suspended solids (TSS)", "mg/L", 0},
    {"nh4", "Amoni (tính theo N)", "Ammonium (as N)", "mg/L", 0},
    {"tn", "Tổng nitơ", "Total nitrogen", "mg/L", 0},
    {"tp", "Tổng phốt pho (tính theo P)", "Total phosphorus (as P)", "mg/L", 0},
    /* Measured by the plants for their own sake. */
    {"do", "Oxy hoà tan (DO)", "Dissolved oxygen (DO)", "mg/L", 0},
    {"turbidity", "Độ đục", "Turbidity", "NTU", 0},
    {"flow_in", "Lưu lượng vào", "Inflow", "m³/h", 0},
    {"flow_out", "Lưu lượng ra", "Outflow", "m³/h", 0},
    {"volume_in", "Tổng lượng nước vào (cộng dồn)", "Inflow volume (total)", "m³", 1},
    {"volume_out", "Tổng lượng nước thải ra (cộng dồn)", "Outflow volume (total)", "m³", 1},
    {"cod_in", "COD đầu vào", "Inlet COD", "mg/L", 0},
    {"nh4_in", "Amoni đầu vào", "Inlet ammonium", "mg/L", 0},
    {"tank_level", "Mực nước bể", "Tank level", "m", 0},
    {"blower_run", "Máy thổi khí đang chạy", "Blower running", "", 0},
    {"blower_hours", "Giờ chạy máy thổi khí", "Blower hours", "giờ", 1},
    {"pump_run", "Bơm đang chạy", "Pump running", "", 0},
    {"sludge_pump_run", "Bơm bùn đang chạy", "Sludge pump running", "", 0},
    {"dosing_run", "Bơm định lượng hoá chất đang chạy", "Dosing pump running", "", 0},
    {"auto_mode", "Chế độ tự động", "Automatic mode", "", 0},
    {"plc_alarm", "Báo động của PLC", "PLC alarm", "", 0},
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

const struct wwtp_glossary_entry *wwtp_glossary_find(const char *param)
{
	for (size_t i = 0; param && i < NTABLE; i++)
		if (strcmp(table[i].param, param) == 0)
			return &table[i];
	return NULL;
}

const char *wwtp_glossary_name(const char *param, const char *lang)
{
	const struct wwtp_glossary_entry *e = wwtp_glossary_find(param);
	if (!e)
		return param;
	return lang && strcmp(lang, "en") == 0 ? e->en : e->vi;
}

const char *wwtp_glossary_unit(const char *unit, const char *lang)
{
	static const struct {
		const char *in, *vi, *en;
	} u[] = {
	    {"m3/h", "m³/h", "m³/h"},	   {"m3", "m³", "m³"}, {"m3/day", "m³/ngày", "m³/day"},
	    {"m3/d", "m³/ngày", "m³/day"}, {"h", "giờ", "h"},
	};
	int en = lang && strcmp(lang, "en") == 0;
	for (size_t i = 0; unit && i < sizeof(u) / sizeof(u[0]); i++)
		if (strcmp(unit, u[i].in) == 0)
			return en ? u[i].en : u[i].vi;
	return unit ? unit : "";
}

size_t wwtp_glossary_count(void)
{
	return NTABLE;
}

const struct wwtp_glossary_entry *wwtp_glossary_get(size_t i)
{
	return i < NTABLE ? &table[i] : NULL;
}
