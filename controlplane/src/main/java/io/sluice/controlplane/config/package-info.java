/**
 * The IOS-style configuration: {@link io.sluice.controlplane.config.ConfigParser} reads a file
 * into an immutable {@link io.sluice.controlplane.config.Config} (or refuses it with every error,
 * each as {@code file:line:column: message}), {@link io.sluice.controlplane.config.RunningConfig}
 * writes one back as {@code show running-config}, and {@link io.sluice.controlplane.config.CheckMain}
 * is {@code sluice check}.
 * <p>
 * The grammar is the subset the Cisco references use and a DMVPN / IPsec / L2TP gateway needs:
 * interfaces (Linux names, TunnelN, LoopbackN, Virtual-TemplateN), static routes, access lists,
 * {@code crypto isakmp}, {@code crypto ipsec}, {@code crypto map} (IKE and manual), Easy VPN client,
 * RSA public keys, NHRP, VPDN/L2TP with SSO, and the Sluice-only {@code sluice dataplane} block.
 */
package io.sluice.controlplane.config;
