/**
 * Packet capture of any port or stage to pcap files that tshark and Wireshark read, VPP's
 * {@code trace} and tcpdump for a dataplane the kernel never sees.
 * <p>
 * The data path holds a {@link io.sluice.dataplane.trace.CaptureTap} at each capture point,
 * unarmed, which costs a volatile read and a branch per call. Armed (optionally for N frames),
 * the tap copies each frame, with a timestamp, into its preallocated single-producer Agrona ring;
 * when the ring is full the frame is not captured and the tap's dropped count goes up, so the
 * worker never waits for a disk. A {@link io.sluice.dataplane.trace.CaptureRecorder} agent on its
 * own thread drains the rings into a {@link io.sluice.dataplane.trace.PcapWriter} (classic pcap
 * 2.4, microsecond timestamps by default, nanosecond on request; link type Ethernet, raw IP,
 * IPv4 or IPv6; files 0600 since they hold decrypted traffic).
 */
package io.sluice.dataplane.trace;
