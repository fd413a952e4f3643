use super::show;
use crate::cli::{ClusterCommand, GlobalArgs};
use crate::config::connect;
use crate::resource_views::{ClusterJson, cluster_detail, clusters_table};

pub async fn run(global: &GlobalArgs, command: ClusterCommand) -> anyhow::Result<()> {
    match command {
        ClusterCommand::Get { format, cluster_id } => {
            let conn = connect(global).await?;
            let cluster = conn
                .call(conn.client.get_cluster(cluster_id.trim()))
                .await?;
            show(
                format.format,
                || ClusterJson::from(&cluster),
                || cluster_detail(&cluster),
            )
        }
        ClusterCommand::List { format } => {
            let conn = connect(global).await?;
            let clusters = conn.call(conn.client.list_clusters()).await?;
            show(
                format.format,
                || clusters.iter().map(ClusterJson::from).collect::<Vec<_>>(),
                || clusters_table(&clusters),
            )
        }
    }
}
