//! A realistic line-protocol body, shared by the parser benchmark and the throughput example.

/// `lines` telegraf-like lines: `cpu`, `mem`, `disk` and `net` measurements, several tags,
/// 3–10 fields of every type, nanosecond timestamps.
pub fn realistic(lines: usize) -> String {
    let mut s = String::with_capacity(lines * 200);
    let ts = 1_700_000_000_000_000_000i64;
    for i in 0..lines {
        let host = i % 1000;
        let t = ts + i as i64 * 10_000_000;
        match i % 4 {
            0 => s.push_str(&format!(
                "cpu,cpu=cpu{},host=host-{host},region=us-west-2,dc=dc{} usage_user={}.{:03},usage_system=2.{:03},usage_idle=95.{:03},usage_iowait=0.125,usage_irq=0,usage_softirq=0.0625,usage_steal=0,usage_guest=0,usage_guest_nice=0,usage_nice=0.5 {t}\n",
                i % 8,
                host % 4,
                i % 100,
                i % 1000,
                (i * 7) % 1000,
                (i * 13) % 1000,
            )),
            1 => s.push_str(&format!(
                "mem,host=host-{host},region=us-west-2 total=17179869184i,available={}i,used={}i,used_percent={}.25,active={}i,free={}i {t}\n",
                8_000_000_000u64 + i as u64,
                9_000_000_000u64 - i as u64,
                i % 100,
                4_000_000_000u64 + i as u64,
                2_000_000_000u64 + i as u64,
            )),
            2 => s.push_str(&format!(
                "disk,device=nvme0n1p{},fstype=ext4,host=host-{host},mode=rw,path=/var/lib/data{} free={}u,inodes_free={}u,total=512000000000u,used_percent={}.5,status=\"ok\",healthy=true {t}\n",
                i % 4,
                i % 3,
                100_000_000_000u64 + i as u64,
                30_000_000u64 + i as u64,
                i % 100,
            )),
            _ => s.push_str(&format!(
                "net,host=host-{host},interface=eth{} bytes_recv={}i,bytes_sent={}i,packets_recv={}i,packets_sent={}i,err_in=0i,err_out=0i {t}\n",
                i % 2,
                1_000_000_000u64 + i as u64 * 1500,
                500_000_000u64 + i as u64 * 900,
                10_000_000u64 + i as u64,
                9_000_000u64 + i as u64,
            )),
        }
    }
    s
}
