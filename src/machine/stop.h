/*
 * machine/stop.h: how a node is stopped, in one place: the guest's own
 * poweroff over ssh, then the ACPI power button, then forced off.
 */
#ifndef ML_STOP_H
#define ML_STOP_H

struct ml_driver;

/*
 * Stops machine name of profile name under home: asks the guest to power
 * off over ssh when ssh_port (its forward; 0: skip) answers, since that
 * syncs the data disk even where nothing listens to the power button;
 * presses the ACPI power button (again every 10 s); after timeout_s
 * seconds warns and forces it off. Returns 0 once the machine is off, or
 * -errno with the driver's message.
 */
int ml_machine_stop(struct ml_driver *d, const char *home, const char *name,
		    int ssh_port, int timeout_s);

#endif
