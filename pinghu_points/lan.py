"""This machine's addresses on the local network, for the demo served to phones.

`make run HOST=0.0.0.0` prints an http://<address>:<port>/ for each (villages'
demo_banner command) and, with DEBUG on, accepts them as Host (settings,
DEMO_ALLOW_LAN_HOSTS). Found without the internet and without DNS: nothing here
sends a packet or waits on a resolver, so it is safe offline and at settings import.
"""

import ipaddress
import socket
import subprocess

# Connecting a UDP socket sends nothing: the kernel only picks the route, and so the
# source address this machine would use towards each private network.
PROBE_DESTINATIONS = ("10.255.255.255", "172.31.255.255", "192.168.255.255")
HOSTNAME_TIMEOUT_SECONDS = 2


def routed_addresses(destinations=PROBE_DESTINATIONS):
    addresses = []
    for destination in destinations:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect((destination, 9))
                addresses.append(probe.getsockname()[0])
        except OSError:
            continue  # no route there (offline, or no such network)
    return addresses


def interface_addresses():
    """Every address `hostname -I` lists (Linux); nothing where it is missing or fails."""
    try:
        completed = subprocess.run(
            ["hostname", "-I"],
            capture_output=True,
            text=True,
            timeout=HOSTNAME_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return completed.stdout.split() if completed.returncode == 0 else []


def is_lan_ipv4(text):
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    # A phone cannot reach loopback, link-local (no DHCP answer) or unspecified.
    return (
        address.version == 4
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_unspecified
    )


def lan_ipv4_addresses():
    """The LAN IPv4 addresses, the routed ones (most likely the Wi-Fi) first."""
    found = []
    for address in [*routed_addresses(), *interface_addresses()]:
        if is_lan_ipv4(address) and address not in found:
            found.append(address)
    return found
