/**
 * The control process: configuration, IKE, DPD, NHRP, L2TP and HA, and the dataplane client.
 * Built out by the control-process issues; the module exists so the build has its final shape.
 */
package io.sluice.controlplane;
